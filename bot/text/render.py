"""The one place that turns tickets into words: cards for deputy groups and notices for
residents. Output is Telegram-flavoured HTML with every user-supplied string escaped."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.text.catalogs import Texts
from storage.models import Area, DeputyGroup, Escalation, Rating, Ticket, TicketStatus


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


def a_resident_of(t: Texts, path: list[Area]) -> str:
    """Who raised a ticket, for a resident who keeps their name from the deputies."""
    if not path:
        return t.gettext("a resident")
    return t.gettext("a resident of {area}").format(area=name_in(t, path[-1]))


def status_label(t: Texts, status: TicketStatus) -> str:
    labels = {
        TicketStatus.AWAITING_TRIAGE: t.gettext("awaiting assignment"),
        TicketStatus.ASSIGNED: t.gettext("assigned"),
        TicketStatus.ACCEPTED: t.gettext("accepted"),
        TicketStatus.IN_PROGRESS: t.gettext("in progress"),
        TicketStatus.FORWARDED: t.gettext("forwarded to a department"),
        TicketStatus.ANSWERED: t.gettext("answered"),
        TicketStatus.CLOSED: t.gettext("concluded"),
        TicketStatus.UNRESOLVABLE: t.gettext("concluded (cannot be resolved for now)"),
        TicketStatus.RATED: t.gettext("rated"),
        TicketStatus.REOPENED: t.gettext("reopened"),
        TicketStatus.MERGED: t.gettext("merged"),
        TicketStatus.ESCALATED: t.gettext("escalated"),
    }
    return labels[status]


def step_label(t: Texts, step: str) -> str:
    """A card button's label: what a deputy does to the ticket."""
    labels = {
        "accept": t.gettext("Claim"),
        "start": t.gettext("In progress"),
        "forward": t.gettext("Forward to a department"),
        "need_info": t.gettext("Need more information"),
        "resolve": t.gettext("Resolved"),
        "unresolvable": t.gettext("Cannot be resolved now"),
        "to_staff": t.gettext("To staff"),
        "reroute": t.gettext("Not ours"),
    }
    return labels[step]


def rating_label(t: Texts, rating: Rating) -> str:
    labels = {
        Rating.SATISFIED: t.gettext("Satisfied"),
        Rating.FAIRLY_SATISFIED: t.gettext("Fairly satisfied"),
        Rating.UNSATISFIED: t.gettext("Unsatisfied"),
    }
    return labels[rating]


def escalation_label(t: Texts, escalation: Escalation) -> str:
    labels = {
        Escalation.STAFF: t.gettext("referred to the street working committee"),
        Escalation.RECESS_SUGGESTION: t.gettext(
            "taken up as a suggestion during the recess (闭会期间意见建议)"
        ),
        Escalation.SUMMONS: t.gettext("taken up in a meeting with the department head (约见)"),
        Escalation.INQUIRY: t.gettext("taken up in a special inquiry (专题询问)"),
    }
    return labels[escalation]


def locale_date(t: Texts, moment: datetime, timezone: str) -> str:
    """The day of a moment in the station's time zone, as the reader's locale writes it
    (2026年12月14日, December 14, 2026)."""
    return format_date(moment.astimezone(ZoneInfo(timezone)).date(), "long", locale=t.locale)


def local_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def resident_of(t: Texts, path: list[Area]) -> str:
    """Who raised it, when the resident has not agreed to show their name: where they live."""
    if not path:
        return t.gettext("a resident")
    return t.gettext("a resident of {area}").format(area=name_in(t, path[-1]))


def local_date(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


@dataclass(frozen=True)
class CardFacts:
    """What a card shows besides the ticket itself, looked up by the caller."""

    path: list[Area]
    raised_by: str
    holder: str | None = None
    category: str | None = None
    phone: str | None = None  # shown only where the resident agreed
    attachments: int = 0


def ticket_card(t: Texts, ticket: Ticket, facts: CardFacts, timezone: str) -> str:
    status = "<b>" + status_label(t, ticket.status) + "</b>"
    lines = [
        "<b>" + t.gettext("Opinion or suggestion {number}").format(number=ticket.number) + "</b>",
        t.gettext("Status: {status} (deputy {name})").format(
            status=status, name=escape(facts.holder)
        )
        if facts.holder
        else t.gettext("Status: {status}").format(status=status),
    ]
    if facts.category:
        lines.append(t.gettext("Category: {category}").format(category=escape(facts.category)))
    lines += [
        t.gettext("Area: {area}").format(area=escape(area_path_text(t, facts.path) or "—")),
        t.gettext("Raised by: {name}").format(name=escape(facts.raised_by or "—")),
    ]
    if facts.phone:
        lines.append(t.gettext("Phone: {phone}").format(phone=escape(facts.phone)))
    lines.append(
        t.gettext("Submitted: {time}").format(time=local_time(ticket.created_at, timezone))
    )
    waiting = ticket.status in (TicketStatus.ASSIGNED, TicketStatus.REOPENED)
    if waiting and ticket.acknowledge_due:
        due = local_date(ticket.acknowledge_due, timezone)
        lines.append(t.gettext("To be accepted by: {date}").format(date=due))
    if ticket.answer_due and ticket.status in HANDLING:
        due = local_date(ticket.answer_due, timezone)
        lines.append(t.gettext("To be answered by: {date}").format(date=due))
    if ticket.department and ticket.status == TicketStatus.FORWARDED:
        department = escape(ticket.department)
        lines.append(
            t.gettext("Forwarded to: {department} (expected by {date})").format(
                department=department, date=ticket.department_expected.isoformat()
            )
            if ticket.department_expected
            else t.gettext("Forwarded to: {department}").format(department=department)
        )
    lines += ["", escape(ticket.text)]
    if facts.attachments:
        lines.append(
            t.ngettext(
                "With {count} attachment (below).",
                "With {count} attachments (below).",
                facts.attachments,
            ).format(count=facts.attachments)
        )
    lines += ["", "<i>" + t.gettext("Reply to this message to answer the resident.") + "</i>"]
    return "\n".join(lines)


HANDLING = frozenset(
    {
        TicketStatus.ASSIGNED,
        TicketStatus.ACCEPTED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.FORWARDED,
        TicketStatus.REOPENED,
    }
)


def deputy_reply_notice(t: Texts, ticket: Ticket, deputy_name: str, text: str) -> str:
    heading = t.gettext(
        "Deputy {name} has replied to your opinion or suggestion ({number}):"
    ).format(name=escape(deputy_name), number=ticket.number)
    return f"<b>{heading}</b>\n\n{escape(text)}" if text else f"<b>{heading}</b>"


def status_notice(t: Texts, ticket: Ticket, merged_into: str | None = None) -> str:
    """A change of status, told to the resident, with what they need to know about it."""
    text = t.gettext("Your opinion or suggestion {number}: the status is now {status}.").format(
        number=ticket.number, status="<b>" + status_label(t, ticket.status) + "</b>"
    )
    details = {
        TicketStatus.FORWARDED: ticket.department
        and t.gettext("It has been forwarded to {department}.").format(
            department=escape(ticket.department)
        ),
        TicketStatus.UNRESOLVABLE: ticket.close_reason
        and t.gettext("The reason: {reason}").format(reason=escape(ticket.close_reason)),
        TicketStatus.MERGED: merged_into
        and t.gettext(
            "It concerns the same problem as {number} and is handled together with it."
        ).format(number=merged_into),
        TicketStatus.ESCALATED: ticket.escalation
        and t.gettext("It has been {escalation}.").format(
            escalation=escalation_label(t, ticket.escalation)
        ),
        TicketStatus.REOPENED: t.gettext("It will be handled again."),
    }
    detail = details.get(ticket.status)
    return f"{text}\n{detail}" if detail else text


def handed_to_notice(t: Texts, ticket: Ticket, group: DeputyGroup) -> str:
    """To the resident: which deputy group now handles their opinion or suggestion."""
    return t.gettext(
        "Your opinion or suggestion {number} has been passed on to {group} of {station}. "
        "Progress will be reported here."
    ).format(
        number=ticket.number,
        group=escape(name_in(t, group)),
        station=escape(name_in(t, group.station)),
    )


def rating_question(t: Texts, ticket: Ticket) -> str:
    return t.gettext(
        "Your opinion or suggestion {number} has been concluded. Are you satisfied with how it "
        "was handled?"
    ).format(number=ticket.number)


def rerouted_notice(t: Texts, ticket: Ticket) -> str:
    """To the group that passed a ticket on."""
    return t.gettext("Opinion or suggestion {number} has been passed on elsewhere.").format(
        number=ticket.number
    )


# --- deadlines and supervision (限时办理, 督办) ---------------------------------------------


def deadline_warning(
    t: Texts, ticket: Ticket, deadline: str, due: datetime, timezone: str, today: bool
) -> str:
    """To the deputy group: a deadline ("accept" or "answer") is near, or is today."""
    messages = {
        ("accept", True): t.gettext(
            "Reminder: opinion or suggestion {number} is to be accepted today (by {due})."
        ),
        ("answer", True): t.gettext(
            "Reminder: opinion or suggestion {number} is to be answered today (by {due})."
        ),
        ("answer", False): t.gettext(
            "Reminder: opinion or suggestion {number} is to be answered by {due}."
        ),
        ("accept", False): t.gettext(
            "Reminder: opinion or suggestion {number} is to be accepted by {due}."
        ),
    }
    return messages[deadline, today].format(number=ticket.number, due=local_time(due, timezone))


def overdue_notice(
    t: Texts, ticket: Ticket, deadline: str, due: datetime, timezone: str, staff_told: bool
) -> str:
    """To the deputy group: a deadline has passed."""
    text = (
        t.gettext(
            "Opinion or suggestion {number} has passed its deadline for acceptance ({due}). "
            "Please accept it as soon as possible."
        )
        if deadline == "accept"
        else t.gettext(
            "Opinion or suggestion {number} has passed its deadline for an answer ({due}). "
            "Please answer the resident as soon as possible."
        )
    ).format(number=ticket.number, due=local_time(due, timezone))
    if staff_told:
        text += "\n" + t.gettext("The street working committee has been informed for supervision.")
    return text


def overdue_staff_notice(
    t: Texts, ticket: Ticket, group_name: str, deadline: str, due: datetime, timezone: str
) -> str:
    """To the street's staff chat: a ticket of one of its deputy groups is overdue."""
    heading = (
        t.gettext(
            "Supervision: opinion or suggestion {number} of {group} has passed its deadline "
            "for acceptance ({due})."
        )
        if deadline == "accept"
        else t.gettext(
            "Supervision: opinion or suggestion {number} of {group} has passed its deadline "
            "for an answer ({due})."
        )
    ).format(number=ticket.number, group=escape(group_name), due=local_time(due, timezone))
    excerpt = ticket.text if len(ticket.text) <= 80 else ticket.text[:80] + "…"
    return f"<b>{heading}</b>\n\n{escape(excerpt)}"


def daily_digest(
    t: Texts,
    group_name: str,
    day: date,
    overdue: list[tuple[Ticket, str, datetime]],
    due_soon: list[tuple[Ticket, str, datetime]],
    timezone: str,
) -> str:
    """A deputy group's daily digest: its tickets overdue, then those due within three days,
    each with the deadline it must meet ("accept" or "answer")."""

    def line(ticket: Ticket, deadline: str, due: datetime) -> str:
        item = (
            t.gettext("{number}: to be accepted by {due}")
            if deadline == "accept"
            else t.gettext("{number}: to be answered by {due}")
        )
        return "• " + item.format(number=ticket.number, due=local_time(due, timezone))

    lines = [
        "<b>"
        + t.gettext("Daily digest of {group} ({day})").format(
            group=escape(group_name), day=day.isoformat()
        )
        + "</b>"
    ]
    if overdue:
        lines += ["", t.gettext("Overdue:")] + [line(*item) for item in overdue]
    if due_soon:
        lines += ["", t.gettext("Due within three days:")] + [line(*item) for item in due_soon]
    return "\n".join(lines)
