"""One contract for every state store: the in-memory one and Redis pass the same tests."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from routing.redis_store import _COMMIT, RedisStore, _Lua
from routing.store import StateStore
from tests.routing.conftest import REDIS_URL


async def test_an_agent_reserved_for_one_call_cannot_be_reserved_for_another(store: StateStore) -> None:
    assert await store.reserve("a1", "c1", ttl=30)
    assert not await store.reserve("a1", "c2", ttl=30)
    assert await store.holder("a1") == "c1"


async def test_reserving_again_for_the_same_call_is_idempotent(store: StateStore) -> None:
    assert await store.reserve("a1", "c1", ttl=30)
    assert await store.reserve("a1", "c1", ttl=30)


async def test_a_call_reserved_to_one_agent_cannot_be_reserved_to_another(store: StateStore) -> None:
    assert await store.reserve("a1", "c1", ttl=30)
    assert not await store.reserve("a2", "c1", ttl=30)
    assert await store.holder("a2") is None


async def test_release_frees_the_agent_only_for_the_call_it_holds(store: StateStore) -> None:
    await store.reserve("a1", "c1", ttl=30)
    assert not await store.release("a1", "other")
    assert await store.holder("a1") == "c1"
    assert await store.release("a1", "c1")
    assert await store.holder("a1") is None
    assert await store.reserve("a2", "c1", ttl=30)  # the call is free too
    assert await store.release("a2")  # "" releases whatever the agent holds
    assert not await store.release("a2")


async def test_refresh_extends_only_the_holders_reservation(store: StateStore) -> None:
    await store.reserve("a1", "c1", ttl=30)
    assert await store.refresh("a1", "c1", ttl=60)
    assert not await store.refresh("a1", "c2", ttl=60)
    assert not await store.refresh("a9", "c1", ttl=60)


async def test_refresh_many_extends_each_holders_reservation_in_one_call(store: StateStore) -> None:
    await store.reserve("a1", "c1", ttl=1)
    await store.reserve("a2", "c2", ttl=1)
    assert await store.refresh_many([("a1", "c1"), ("a2", "other"), ("a9", "c9"), ("a2", "c2")], ttl=60) == [
        True, False, False, True]
    await asyncio.sleep(1.3)  # past the first ttl: both still held, by the refreshed reservations
    assert (await store.holder("a1"), await store.holder("a2")) == ("c1", "c2")
    assert await store.refresh_many([], ttl=60) == []


async def test_a_reservation_expires_after_its_ttl(store: StateStore) -> None:
    await store.reserve("a1", "c1", ttl=0.05)
    deadline = asyncio.get_running_loop().time() + 3
    while await store.holder("a1") is not None:
        assert asyncio.get_running_loop().time() < deadline, "the reservation never expired"
        await asyncio.sleep(0.02)
    assert await store.reserve("a1", "c2", ttl=30)


async def test_queue_order_is_by_score_then_arrival(store: StateStore) -> None:
    await store.enqueue("q", "late-low", 5.0)
    await store.enqueue("q", "first", 1.0)
    await store.enqueue("q", "tie-a", 3.0)
    await store.enqueue("q", "tie-b", 3.0)
    await store.enqueue("other", "x", 0.0)
    assert await store.order("q") == ["first", "tie-a", "tie-b", "late-low"]
    assert await store.position("q", "tie-b") == 3
    assert await store.position("q", "nobody") is None


async def test_requeue_moves_a_call_and_dequeue_removes_it(store: StateStore) -> None:
    for i, call_id in enumerate(["a", "b", "c"]):
        await store.enqueue("q", call_id, float(i))
    await store.enqueue("q", "c", -1.0)
    await store.dequeue("q", "a")
    await store.dequeue("q", "never-there")
    assert await store.order("q") == ["c", "b"]


async def test_queue_changes_apply_in_one_batch(store: StateStore) -> None:
    await store.apply_queue_changes([("q", "a", 2.0), ("q", "b", 1.0), ("q", "c", 3.0), ("q", "b", None)])
    assert await store.order("q") == ["a", "c"]


async def test_concurrent_reservations_of_one_agent_let_exactly_one_win(store: StateStore,
                                                                        redis_prefix: str) -> None:
    stores = [store]
    if isinstance(store, RedisStore):  # a second instance: its own connection pool, the same keys
        stores.append(RedisStore.from_url(REDIS_URL, prefix=redis_prefix))
    try:
        attempts = [stores[i % len(stores)].reserve("a1", f"c{i}", ttl=30) for i in range(40)]
        results = await asyncio.gather(*attempts)
    finally:
        for extra in stores[1:]:
            assert isinstance(extra, RedisStore)
            await extra.close()
    assert sum(results) == 1


@pytest.mark.redis
async def test_a_redis_store_keeps_its_keys_under_its_prefix(redis_prefix: str) -> None:
    store = RedisStore.from_url(REDIS_URL, prefix=redis_prefix)
    try:
        await store.reserve("a1", "c1", ttl=30)
        await store.enqueue("q", "c1", 1.0)
        keys = [key async for key in store._r.scan_iter(match=f"{redis_prefix}*")]
        assert keys and all(key.startswith(redis_prefix) for key in keys)
    finally:
        await store.close()


async def test_the_heads_of_queues_come_with_their_descriptors_in_queue_order(store: StateStore) -> None:
    one, two = '{"o":"one","p":0}', '{"o":"two","p":0}'
    await store.apply_queue_changes([("q", "b", 2.0), ("q", "a", 1.0), ("q", "c", 3.0), ("r", "x", 0.0)],
                                    {"a": one, "b": two})
    heads = await store.heads(["q", "r", "empty"], 2)
    assert heads == {"q": [("a", 1.0, one), ("b", 2.0, two)], "r": [("x", 0.0, "")], "empty": []}
    assert (await store.heads(["q"], 5, skip_owner="one"))["q"] == [("b", 2.0, two), ("c", 3.0, "")]
    await store.dequeue("q", "a")
    await store.enqueue("q", "a", 4.0)  # enqueued again without a descriptor: the old one is gone
    assert (await store.heads(["q"], 5))["q"][-1] == ("a", 4.0, "")


async def test_a_handover_reserves_a_free_agent_for_a_live_owners_queued_call_and_tells_the_owner(
        store: StateStore) -> None:
    await store.alive("two", 30)
    await store.apply_queue_changes([("q", "y1", 1.0), ("q", "y2", 2.0)])
    await store.reserve("busy", "other", ttl=30)
    handovers = [("a1", "q", "y1", "two", 30.0), ("a2", "q", "y1", "two", 30.0),  # the call is taken now
                 ("busy", "q", "y2", "two", 30.0), ("a3", "q", "gone", "two", 30.0)]
    assert await store.commit([], [], [], handovers=handovers) == [True, False, False, False]
    assert await store.holder("a1") == "y1"
    assert await store.take_handovers("two", 0) == [("y1", "a1")]
    assert await store.take_handovers("two", 0.05) == []  # taken once; nothing more within the wait


async def test_a_handover_to_an_owner_that_stopped_is_refused_and_its_entry_dropped(
        store: StateStore) -> None:
    await store.apply_queue_changes([("q", "orphan", 1.0), ("q", "mine", 2.0)])
    assert await store.commit([], [], [], handovers=[("a1", "q", "orphan", "dead", 30)]) == [False]
    assert await store.holder("a1") is None
    assert await store.order("q") == ["mine"]


# --- the Redis store's commit link (one connection of its own for the commit script) ----------
@pytest.mark.redis
async def test_given_redis_does_not_know_the_commit_script_when_committing_then_it_is_loaded_and_run(
        redis_prefix: str) -> None:
    store = RedisStore.from_url(REDIS_URL, prefix=redis_prefix)
    try:  # a script text Redis has never seen (no SCRIPT FLUSH on a shared Redis): NOSCRIPT first
        store._commit = _Lua.of(_COMMIT + f"\n-- {uuid.uuid4().hex}\n")
        granted = await store.commit([("q", "c1", 1.0)], [], [("a1", "c1", 30), ("a2", "c1", 30)])
        assert granted == [True, False]
        assert await store.holder("a1") == "c1" and await store.order("q") == ["c1"]
    finally:
        await store.close()


@pytest.mark.redis
async def test_given_the_commit_connection_was_dropped_when_committing_again_then_it_connects_again(
        redis_prefix: str) -> None:
    store = RedisStore.from_url(REDIS_URL, prefix=redis_prefix)
    other = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        assert await store.reserve("a1", "c1", ttl=30)
        conn = store._link._conn
        assert conn is not None
        await conn.send_command("CLIENT", "ID")
        await other.execute_command("CLIENT", "KILL", "ID", await conn.read_response())  # this link only
        try:  # the first command may meet the closed socket (the engine then marks the store down)
            await store.reserve("a2", "c2", ttl=30)
        except RedisConnectionError:
            pass
        assert await store.reserve("a3", "c3", ttl=30)
        assert not await store.reserve("a1", "c9", ttl=30)  # a1's reservation from before stands
        assert await store.holder("a3") == "c3"
    finally:
        await other.aclose()
        await store.close()
