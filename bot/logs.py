"""Logging set-up from `LogSettings`: a level, and plain lines for people or JSON lines for a
log collector, on stderr."""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.settings import LogSettings

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# aiogram logs every handled update at INFO on this logger: far too much for INFO.
CHATTY_LOGGERS = ("aiogram.event",)


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
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(settings: LogSettings, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(PLAIN_FORMAT)
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    chatty_level = logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level)
