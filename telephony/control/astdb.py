"""The Asterisk database (AstDB: family/key -> value, kept across restarts): ``DBPut``, ``DBGet``
(answered by a ``DBGetResponse`` event), ``DBDel``."""

from __future__ import annotations

from telephony.control import values
from telephony.control.errors import NoSuchEntry
from telephony.control.port import AmiPort
from telephony.control.results import DbDeleted, DbEntry
from telephony.control.send import send


def _key(family: str, key: str) -> dict[str, str]:
    values.text("AstDB family", family)
    values.text("AstDB key", key)
    return {"Family": family, "Key": key}


async def db_put(ami: AmiPort, family: str, key: str, value: str) -> DbEntry:
    headers = {**_key(family, key), "Val": values.text("AstDB value", value, empty=True)}
    await send(ami, "DBPut", headers, subject=f"{family}/{key}")
    return DbEntry(family=family, key=key, value=value)


async def db_get(ami: AmiPort, family: str, key: str) -> DbEntry:
    """``NoSuchEntry`` when there is no such key."""
    reply = await send(ami, "DBGet", _key(family, key), subject=f"{family}/{key}")
    for event in reply.events:
        if event.get("Event") == "DBGetResponse":
            return DbEntry(family=family, key=key, value=event.get("Val", ""))
    raise NoSuchEntry(
        f"no AstDB entry ({family}/{key}): no DBGetResponse", details={"family": family, "key": key}
    )


async def db_delete(ami: AmiPort, family: str, key: str) -> DbDeleted:
    """``NoSuchEntry`` when there is no such key."""
    await send(ami, "DBDel", _key(family, key), subject=f"{family}/{key}")
    return DbDeleted(family=family, key=key)
