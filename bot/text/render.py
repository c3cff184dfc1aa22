"""The one place that turns tickets into words: cards for deputy groups and notices for
residents. Output is Telegram-flavoured HTML with every user-supplied string escaped."""

import re
from datetime import datetime
from html import escape
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.text.catalogs import Texts
from storage.models import Area, Ticket, TicketStatus


class Named(Protocol):
    name: str
    name_en: str | None


def name_in(t: Texts, named: Named) -> str:
    """An area's, station's or group's name in the reader's language (Chinese if no other)."""
    return named.name_en if named.name_en and t.english else named.name


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def person_name(given: str, family: str | None) -> str:
    """A person's name as people expect to read it: Chinese names family name first with no
    space (李小红), other names as given ("Anna Smith")."""
    if not family:
        return given
    if _HAN.search(given) or _HAN.search(family):
        return family + given
    return f"{given} {family}"


def area_path_text(t: Texts, path: list[Area]) -> str:
    parts = [name_in(t, area) for area in path]
    # Chinese names read outermost first; English addresses innermost first.
    return ", ".join(reversed(parts)) if t.english else " ".join(parts)


def status_label(t: Texts, status: TicketStatus) -> str:
    labels = {
        TicketStatus.NEW: t.gettext("received"),
        TicketStatus.ANSWERED: t.gettext("answered"),
    }
    return labels[status]


def local_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def ticket_card(
    t: Texts,
    ticket: Ticket,
    path: list[Area],
    resident_name: str,
    timezone: str,
    answered_by: str | None = None,
) -> str:
    status = "<b>" + status_label(t, ticket.status) + "</b>"
    lines = [
        "<b>" + t.gettext("Opinion or suggestion {number}").format(number=ticket.number) + "</b>",
        t.gettext("Status: {status} (deputy {name})").format(
            status=status, name=escape(answered_by)
        )
        if answered_by
        else t.gettext("Status: {status}").format(status=status),
        t.gettext("Area: {area}").format(area=escape(area_path_text(t, path) or "—")),
        t.gettext("Raised by: {name}").format(name=escape(resident_name or "—")),
        t.gettext("Submitted: {time}").format(time=local_time(ticket.created_at, timezone)),
        "",
        escape(ticket.text),
        "",
        "<i>" + t.gettext("Reply to this message to answer the resident.") + "</i>",
    ]
    return "\n".join(lines)


def deputy_reply_notice(t: Texts, ticket: Ticket, deputy_name: str, text: str) -> str:
    heading = t.gettext(
        "Deputy {name} has replied to your opinion or suggestion ({number}):"
    ).format(name=escape(deputy_name), number=ticket.number)
    return f"<b>{heading}</b>\n\n{escape(text)}"


def status_notice(t: Texts, ticket: Ticket) -> str:
    return t.gettext("Your opinion or suggestion {number}: the status is now {status}.").format(
        number=ticket.number, status="<b>" + status_label(t, ticket.status) + "</b>"
    )
