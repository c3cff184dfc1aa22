"""The panel speaks the staff member's language (Simplified Chinese first, English), from the
same catalogs as the bot: templates call `_()`, which reads the request's texts."""

from contextvars import ContextVar
from datetime import datetime
from typing import Any

import jinja2

from bot.text import render
from bot.text.catalogs import Texts
from storage.models import TicketStatus

current: ContextVar[Texts] = ContextVar("texts")
timezone: ContextVar[str] = ContextVar("timezone", default="Asia/Shanghai")


def gettext(message: str, **values: Any) -> str:
    text = current.get().gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    return current.get().ngettext(singular, plural, n).format(n=n, **values)


def status_label(status: object) -> str:
    """The state's name; "—" for a state a record does not name."""
    if str(status) not in set(TicketStatus):
        return "—"
    return render.status_label(current.get(), TicketStatus(str(status)))


def local_time(moment: datetime | None) -> str:
    return render.local_time(moment, timezone.get()) if moment else "—"


def install(env: jinja2.Environment) -> None:
    from admin.labels import label

    env.globals.update(
        _=gettext,
        gettext=gettext,
        ngettext=ngettext,
        status_label=status_label,
        when=local_time,
        label=label,
    )
