"""Settings from the environment (and an optional `.env` file), one class per concern.

Every value is typed and checked when read, so a wrong setting stops the program before
anything starts, with one line saying which variable to fix (see `bot.cli`).
"""

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse
from pydantic import AfterValidator, BaseModel, Field, HttpUrl, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

import locales
from bot.text.catalogs import LOCALES, catalog_path

# The checkout's root (tests and contributors' tools); an installed bot never needs it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The catalogs shipped with the code, wherever it is installed.
PACKAGED_LOCALES_DIR = Path(locales.__file__).resolve().parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/liaison.sqlite3"
TOKEN_PATTERN = r"^\d+:[A-Za-z0-9_-]+$"  # the bot's id, a colon, the secret


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name}' is not a time zone name such as Asia/Shanghai") from None
    return name


def _usable_database_url(url: str) -> str:
    # Building the engine connects to nothing but parses the URL and loads the driver, so a
    # typo or a synchronous driver is reported here rather than as a traceback later.
    try:
        create_async_engine(url)
    except (SQLAlchemyError, ImportError) as error:
        reason = str(error).splitlines()[0]
        raise ValueError(
            "expected a URL such as postgresql+asyncpg://user:password@host/db or "
            f"sqlite+aiosqlite:///path/to/file.sqlite3 ({reason})"
        ) from None
    return url


def _holds_the_catalogs(path: Path) -> Path:
    missing = [locale for locale in LOCALES if not catalog_path(path, locale).is_file()]
    if missing:
        raise ValueError(f"no catalog for {', '.join(missing)} under {path}")
    return path


def _rate_limit(value: str) -> str:
    try:
        parse(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a rate such as 20/minute or 5 per 2 seconds") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]
RateLimit = Annotated[str, AfterValidator(_rate_limit)]
DatabaseURL = Annotated[str, AfterValidator(_usable_database_url)]
LocalesDir = Annotated[Path, AfterValidator(_holds_the_catalogs)]


class _Section(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")


class TelegramSettings(_Section):
    bot_token: SecretStr | None = Field(default=None, description="Token from @BotFather.")
    telegram_api_url: HttpUrl = Field(
        default=HttpUrl("https://api.telegram.org"),
        description="Base URL of the Bot API server (a local Bot API server or the fake one).",
    )

    @field_validator("bot_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(TOKEN_PATTERN, value.get_secret_value()):
            raise ValueError("expected the form 123456789:ABC-DEF… that @BotFather gives")
        return value

    # Telegram's sending limits (bot.telegram.limits), in the `limits` notation; shared through
    # Redis by every sender process when REDIS_URL is set.
    telegram_limit_overall: RateLimit = Field(default="30/second", description="All chats.")
    telegram_limit_private_chat: RateLimit = Field(default="1/second", description="One person.")
    telegram_limit_group: RateLimit = Field(default="20/minute", description="One group chat.")
    telegram_limit_private_burst: RateLimit = Field(
        default="3/second", description="One person, answered at once for their own action."
    )
    telegram_send_timeout: float = Field(
        default=15.0, gt=0, description="Seconds one Bot API call of the sender may take."
    )

    @property
    def api_base(self) -> str:
        return str(self.telegram_api_url).rstrip("/")


class StorageSettings(_Section):
    database_url: DatabaseURL = Field(default=DEFAULT_DATABASE_URL, description="SQLAlchemy URL.")
    redis_url: str | None = Field(default=None, description="Redis; memory storage without it.")
    auto_migrate: bool = Field(default=True, description="Apply migrations when `run` starts.")
    # Connections are kept and waited for, never opened per update nor refused under load.
    database_pool_size: int = Field(default=20, ge=1, description="Database connections kept.")
    database_pool_timeout: float = Field(default=30.0, gt=0, description="Wait for one (s).")
    redis_max_connections: int = Field(default=50, ge=1, description="Redis connections kept.")
    redis_pool_timeout: float = Field(default=30.0, gt=0, description="Wait for one (s).")
    redis_lock_seconds: float = Field(
        default=5.0, gt=0, description="A person's lock lapses this long after its holder died."
    )

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


class TextSettings(_Section):
    default_locale: Literal[LOCALES] = Field(  # type: ignore[valid-type]
        default="zh_Hans", description="Language of group cards and of unknown residents."
    )
    timezone: TimeZoneName = Field(default="Asia/Shanghai", description="Times shown to people.")
    locales_dir: LocalesDir = Field(
        default=PACKAGED_LOCALES_DIR, description="Where the `.po` catalogs are read from."
    )
    group_internal_prefix: str = Field(
        default="//",
        min_length=1,
        max_length=10,
        description="A deputy group's message starting with it is between deputies.",
    )


class DeliverySettings(_Section):
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    outbox_concurrency: int = Field(default=16, ge=1, description="Recipients served at once.")
    outbox_lease_seconds: float = Field(
        default=20.0, gt=0, description="A row's lease; longer than the send timeout."
    )


class InboundSettings(_Section):
    inbound_max_attempts: int = Field(default=5, ge=1, description="Attempts before failed.")
    inbound_retry_seconds: float = Field(default=1.0, ge=0, description="First retry's delay.")
    inbound_keep_days: float = Field(default=7.0, gt=0, description="Processed ones kept.")
    resident_message_limit: str = Field(
        default="20/minute",
        pattern=r"^\d+ ?(/|per) ?(\d+ )?(second|minute|hour)s?$",
        description="Messages a resident may send before being asked to slow down.",
    )


class SupervisionSettings(_Section):
    digest_time: time = Field(
        default=time(9, 0),
        description="Local time (TIMEZONE) of deputy groups' daily digest and of the day's "
        "deadline warnings.",
    )
    supervision_sweep_seconds: float = Field(
        default=60.0, gt=0, description="How often the supervisor looks at the deadlines."
    )


def _webhook_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"'{path}' is not a path such as /telegram/webhook")
    return path


class WebhookSettings(_Section):
    """`python -m bot webhook`: where Telegram reaches the bot, and how it proves it is
    Telegram (the secret it sends in X-Telegram-Bot-Api-Secret-Token)."""

    webhook_base_url: HttpUrl | None = Field(
        default=None, description="Public HTTPS address of the load balancer (no path)."
    )
    webhook_path: Annotated[str, AfterValidator(_webhook_path)] = Field(
        default="/telegram/webhook", description="Path the updates are posted to."
    )
    # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -.
    webhook_secret: SecretStr | None = Field(default=None, description="The secret token.")
    webhook_host: str = Field(default="127.0.0.1", description="Address to listen on.")
    webhook_port: int = Field(default=8081, ge=1, le=65535)  # the panel has 8080
    webhook_max_connections: int = Field(
        default=40, ge=1, le=100, description="Telegram's simultaneous connections."
    )

    @field_validator("webhook_base_url", "webhook_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("expected 1 to 256 characters among A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def url(self) -> str | None:
        """The address given to setWebhook."""
        if self.webhook_base_url is None:
            return None
        return str(self.webhook_base_url).rstrip("/") + self.webhook_path


class StatusSettings(_Section):
    """The small HTTP server of processes that have no other (`sender`, `supervisor`, `run`):
    /healthz, /readyz and /metrics. The webhook serves them on its own port."""

    status_host: str = Field(default="127.0.0.1", description="Address to listen on.")
    status_port: int | None = Field(default=None, ge=1, le=65535, description="Off when unset.")

    @field_validator("status_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


def _bind_address(value: str) -> str:
    if value == "":
        return value
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{value}' is not an address such as 127.0.0.1:8080 (empty: no panel)")
    return value


class AdminSettings(_Section):
    admin_bind: Annotated[str, AfterValidator(_bind_address)] = Field(
        default="127.0.0.1:8080",
        description="Where the staff panel listens (host:port); empty: not served by `run`.",
    )
    admin_https: bool = Field(
        default=False, description="The panel is reached over HTTPS: its cookie is Secure."
    )
    admin_session_hours: float = Field(
        default=12.0, gt=0, description="A panel session ends after this long without use."
    )

    @property
    def host_and_port(self) -> tuple[str, int]:
        host, _, port = self.admin_bind.rpartition(":")
        return host.strip("[]"), int(port)


class LogSettings(_Section):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["plain", "json"] = "plain"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Settings(BaseModel):
    """All settings; each section reads its own variables from the environment."""

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    text: TextSettings = Field(default_factory=TextSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    supervision: SupervisionSettings = Field(default_factory=SupervisionSettings)
    inbound: InboundSettings = Field(default_factory=InboundSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    status: StatusSettings = Field(default_factory=StatusSettings)
