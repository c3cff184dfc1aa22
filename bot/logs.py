"""Logging set-up from `LogSettings`: a level, and plain lines for people or JSON lines for a
log collector, on stderr. Each line carries the update being handled (`update_id`) and the
ticket being worked on (`ticket`, its number) when there is one, from the context.

What is logged at INFO and above names people and tickets by their ids and numbers only:
never a phone number, a token or what a resident wrote (those appear at DEBUG at most)."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from bot.settings import LogSettings

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# aiogram logs every handled update at INFO on its first logger; Alembic, imported once logging
# is set up, a line for each of its plugins on the second.
CHATTY_LOGGERS = ("aiogram.event", "alembic.runtime.plugins")
# Set by whoever handles an update or a ticket; asyncio tasks inherit them.
UPDATE_ID: ContextVar[int | None] = ContextVar("update_id", default=None)
TICKET: ContextVar[str | None] = ContextVar("ticket", default=None)


class WithContext(logging.Filter):
    """Puts the update id and the ticket number of the context on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.update_id = UPDATE_ID.get()
        record.ticket = TICKET.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and exc_info
    (the formatted traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("update_id", "ticket"):
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(settings: LogSettings, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(WithContext())
    handler.setFormatter(
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(PLAIN_FORMAT)
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    chatty_level = logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level)
