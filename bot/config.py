"""Settings from the environment (and an optional `.env` file)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/liaison.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: str = Field(default="", description="Token from @BotFather.")
    telegram_api_url: str = Field(
        default="https://api.telegram.org",
        description="Base URL of the Bot API server (a local Bot API server or the fake one).",
    )
    database_url: str = Field(default=DEFAULT_DATABASE_URL)
    redis_url: str | None = Field(default=None, description="FSM storage; memory without it.")
    default_locale: str = Field(default="zh_Hans")
    timezone: str = Field(default="Asia/Shanghai", description="Times shown to people.")
    locales_dir: Path = Field(default=PROJECT_ROOT / "locales")
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    auto_migrate: bool = Field(
        default=True, description="Apply database migrations when `run` starts."
    )
