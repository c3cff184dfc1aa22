"""What a resident reads about their own tickets (/my): a line per ticket and a ticket's
timeline in plain words, never internal ids. Every user-supplied string is escaped."""

from collections.abc import Mapping
from html import escape

from bot.text.catalogs import Texts
from bot.text.render import local_time, locale_date, name_in, rating_label, status_label
from storage.models import DeputyGroup, Rating, Ticket, TicketEvent, TicketStatus, TimelineAction

EXCERPT = 30  # characters of the opinion shown in the list
# Where an answer is still awaited, so its due date means something to the resident.
AWAITING_ANSWER = (
    TicketStatus.ASSIGNED,
    TicketStatus.ACCEPTED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.FORWARDED,
    TicketStatus.REOPENED,
)


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def ticket_line(t: Texts, ticket: Ticket, timezone: str) -> str:
    line = t.gettext("{number} · {status}").format(
        number=ticket.number, status=status_label(t, ticket.status)
    )
    if ticket.answer_due is not None and ticket.status in AWAITING_ANSWER:
        line += " · " + t.gettext("answer due by {date}").format(
            date=locale_date(t, ticket.answer_due, timezone)
        )
    return f"<b>{line}</b>\n{escape(excerpt(ticket.text))}"


def event_words(t: Texts, event: TicketEvent, groups: Mapping[int, DeputyGroup]) -> str | None:
    """One step of the timeline in plain words; None for what is of no concern to the
    resident (a card that could not be shown, a question sent)."""
    detail = event.detail or {}

    def group(key: str) -> str:
        found = groups.get(detail.get(key) or 0)
        return escape(name_in(t, found)) if found else t.gettext("a deputy group")

    if event.action == TimelineAction.SUBMITTED:
        return t.gettext("received")
    if event.action == TimelineAction.ROUTED:
        return t.gettext("sent to {group}").format(group=group("group_id"))
    if event.action == TimelineAction.UNROUTED:
        return t.gettext("waiting for the street working committee to assign it")
    if event.action == TimelineAction.REROUTED:
        if detail.get("to_group"):
            return t.gettext("passed on to {group}").format(group=group("to_group"))
        return t.gettext("returned to the street working committee")
    if event.action == TimelineAction.REPLIED:
        return t.gettext("a deputy answered")
    if event.action == TimelineAction.RATED and detail.get("rating"):
        return t.gettext("you rated it: {rating}").format(
            rating=rating_label(t, Rating(detail["rating"]))
        )
    if event.action == TimelineAction.ADDED:
        if detail.get("rating_comment"):
            return t.gettext("you commented on your rating")
        return t.gettext("you added to it")
    if event.action == TimelineAction.EXTENDED:
        return t.gettext("the time to answer was extended")
    if event.action == TimelineAction.STATUS_CHANGED and detail.get("to"):
        status = TicketStatus(detail["to"])
        if status == TicketStatus.ACCEPTED:
            return t.gettext("a deputy has taken it")
        if status == TicketStatus.FORWARDED and detail.get("department"):
            return t.gettext("forwarded to {department}").format(
                department=escape(str(detail["department"]))
            )
        if status in (TicketStatus.ASSIGNED, TicketStatus.ANSWERED):
            return None  # said by "sent to …" and "a deputy answered"
        return status_label(t, status)
    return None


def timeline_text(
    t: Texts,
    ticket: Ticket,
    events: list[TicketEvent],
    groups: Mapping[int, DeputyGroup],
    timezone: str,
) -> str:
    lines = [ticket_line(t, ticket, timezone), ""]
    for event in events:
        words = event_words(t, event, groups)
        if words is not None:
            lines.append(f"{local_time(event.at, timezone)}  {words}")
    return "\n".join(lines)
