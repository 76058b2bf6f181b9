"""Application settings: YAML defaults, an optional site file, then the environment (``CC_`` prefix).

Precedence, highest first: keyword arguments, environment (``CC_AMI__HOST``), the file named by
``CC_CONFIG_FILE``, ``config/defaults.yaml``. Secrets left empty are generated once per data folder
in development and refused in production.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = CONFIG_DIR / "defaults.yaml"


class AmiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "callcenter"
    secret: str = ""
    connect_timeout: float = Field(default=5.0, gt=0)
    action_timeout: float = Field(default=10.0, gt=0)
    keepalive_interval: float = Field(default=20.0, gt=0)
    reconnect_min_delay: float = Field(default=0.5, gt=0)
    reconnect_max_delay: float = Field(default=30.0, gt=0)


class AgiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=4573, ge=1, le=65535)


class PbxSettings(BaseModel):
    cache_dir: Path = Path("~/.cache/callcenter/asterisk")
    suite: str = "sid"
    run_dir: Path | None = None
    boot_timeout: float = Field(default=60.0, gt=0)

    @field_validator("cache_dir", "run_dir", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        return Path(str(value)).expanduser()

    @property
    def root_dir(self) -> Path:
        """The Debian sid root holding Asterisk."""
        return self.cache_dir / "root"

    @property
    def effective_run_dir(self) -> Path:
        return self.run_dir or self.cache_dir / "run"


class BusSettings(BaseModel):
    """The event bus: ``inproc`` (one process) or ``redis`` (several processes share it; needs
    ``redis_url``)."""

    transport: Literal["inproc", "redis"] = "inproc"
    stream: str = Field(default="callcenter:bus", min_length=1, max_length=200)
    """The Redis stream the messages travel on (processes of one platform share it)."""


class RoutingSettings(BaseModel):
    """The ACD (routing/): its seed configuration and where its state lives."""

    config_file: str = ""
    """The seed configuration; empty: ``config/routing.yaml``."""
    store: Literal["memory", "redis"] = "memory"
    """``redis``: agent reservations and queue order in Redis (several instances; needs ``redis_url``)."""
    redis_prefix: str = Field(default="cc:routing:", min_length=1, max_length=100)
    holding_context: str = Field(default="cc-acd-wait", min_length=1, max_length=80)
    """Where a caller handed to the ACD waits (config/asterisk/extensions.conf.j2)."""
    heartbeat_family: str = Field(default="cc-routing", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    """The AstDB family of the heartbeat (``<family>/alive``); instances of one platform share it."""
    heartbeat_ttl: float = Field(default=6.0, gt=0, le=300)
    """Seconds the engine's AstDB heartbeat stays valid; the holding dialplan fails open after it."""


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    secret_key: str = ""
    token_ttl_minutes: int = Field(default=720, gt=0)
    intake_key: str = ""  # shared key for POST /api/intake/web (header X-Intake-Key); empty = disabled
    # Admission: at most max_active_requests API requests run at once; up to max_waiting_requests
    # more wait (at most queue_timeout_seconds); past that the API answers 503 with Retry-After.
    max_active_requests: int = Field(default=4, ge=1, le=1000)
    max_waiting_requests: int = Field(default=128, ge=0, le=100_000)
    queue_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Requests under these paths are handed a freed slot before the others waiting (the screen pop:
    # an agent's phone is ringing); each line is first come, first served.
    urgent_paths: list[str] = Field(default_factory=lambda: ["/api/record/"])
    # Slots beyond max_active_requests that only those urgent requests may take.
    urgent_reserved_requests: int = Field(default=1, ge=0, le=100)
    # Addresses (IPs or CIDR networks) of reverse proxies whose X-Forwarded-For is believed; empty:
    # none, the peer address is the client.
    trusted_proxies: list[str] = Field(default_factory=list)
    websocket_recheck_seconds: float = Field(default=5.0, gt=0, le=3600)
    # How long a token's user (active, role, revocation) is trusted without reading it again; a
    # change made in this process is seen at once, one made by another process within this; 0: off.
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return [item.strip() for item in value]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CC_",
        env_nested_delimiter="__",
        extra="forbid",
        yaml_file_encoding="utf-8",
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("~/.local/share/callcenter")
    database_url: str = ""
    redis_url: str = ""
    default_region: str = Field(default="CN", min_length=2, max_length=2)
    timezone: str = "Asia/Shanghai"
    ami: AmiSettings = AmiSettings()
    agi: AgiSettings = AgiSettings()
    pbx: PbxSettings = PbxSettings()
    api: ApiSettings = ApiSettings()
    bus: BusSettings = BusSettings()
    routing: RoutingSettings = RoutingSettings()

    @field_validator("data_dir", mode="before")
    @classmethod
    def _expand_data_dir(cls, value: Any) -> Any:
        return Path(str(value)).expanduser()

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """Empty (SQLite in the data folder), or a SQLAlchemy URL of SQLite or PostgreSQL."""
        if not value:
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(
                "not a database URL (e.g. sqlite:///path/cc.db or postgresql+psycopg://user@host/db)"
            ) from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("not a Redis URL (e.g. redis://127.0.0.1:6379/0)")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        missing = [
            name
            for name, value in (("ami.secret", self.ami.secret), ("api.secret_key", self.api.secret_key))
            if not value
        ]
        if missing and self.environment == "production":
            raise ValueError(
                f"{', '.join(missing)} must be set in production (CC_AMI__SECRET, CC_API__SECRET_KEY)"
            )
        if missing:
            generated = _development_secrets(self.data_dir)
            if not self.ami.secret:
                self.ami.secret = generated["ami_secret"]
            if not self.api.secret_key:
                self.api.secret_key = generated["api_secret_key"]
        return self

    @model_validator(mode="after")
    def _redis_bus_needs_redis(self) -> Settings:
        if self.routing.store == "redis" and not self.redis_url:
            raise ValueError("routing.store redis needs redis_url (CC_REDIS_URL=redis://127.0.0.1:6379/0)")
        if self.bus.transport == "redis" and not self.redis_url:
            raise ValueError("bus.transport redis needs redis_url (CC_REDIS_URL=redis://127.0.0.1:6379/0)")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'callcenter.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        site_file = os.environ.get("CC_CONFIG_FILE")
        if site_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=Path(site_file)))
        sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=DEFAULTS_FILE))
        return tuple(sources)


def _development_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets generated once per data folder, so a restart keeps logins and the AMI user valid."""
    path = data_dir / "dev-secrets.json"
    try:
        stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    changed = False
    for key in ("ami_secret", "api_secret_key"):
        if not stored.get(key):
            stored[key] = secrets.token_urlsafe(24)
            changed = True
    if changed:
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored), encoding="utf-8")
        path.chmod(0o600)
    return stored


class SettingsError(Exception):
    """Settings failed validation; ``str()`` is one readable line per problem."""


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError("\n".join(map(_problem, exc.errors()))) from exc


def _problem(err: Any) -> str:
    """One line: the setting, the environment variable that sets it, and what is wrong."""
    path = [str(p) for p in err["loc"]]
    message = str(err["msg"]).removeprefix("Value error, ")
    if not path:
        return f"invalid settings: {message}"
    return f"invalid setting {'.'.join(path)} (CC_{'__'.join(path).upper()}): {message}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return load_settings()
