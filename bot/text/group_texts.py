"""The words of the deputy group's chat beyond the card: the questions a button asks, what a
deputy asks the resident (需补充) and the resident's answer, a ticket handed to staff."""

from html import escape

from bot.text import render
from bot.text.catalogs import Texts
from storage.models import Deputy, DeputyGroup, Ticket


def prompt(t: Texts, ticket: Ticket, deputy: Deputy, button: str) -> str:
    """Asked in the ticket's thread after a button that needs words."""
    asks = {
        "resolve": t.gettext(
            "Deputy {name}: no answer has been given yet. Please reply to this message with "
            "the answer the resident will read; opinion or suggestion {number} is then "
            "concluded."
        ),
        "unresolvable": t.gettext(
            "Deputy {name}: please reply to this message with the reason why opinion or "
            "suggestion {number} cannot be resolved now. The resident will read it."
        ),
        "need_info": t.gettext(
            "Deputy {name}: please reply to this message with what the resident should add to "
            "opinion or suggestion {number}. The resident will be asked and their answer "
            "will appear here."
        ),
    }
    return asks[button].format(name=escape(deputy.name), number=ticket.number)


def question_to_resident(t: Texts, ticket: Ticket, deputy: Deputy, question: str) -> str:
    heading = t.gettext(
        "Deputy {name} asks for more information on your opinion or suggestion ({number}):"
    ).format(name=escape(deputy.name), number=ticket.number)
    how = t.gettext("Please reply to this message to answer.")
    return f"<b>{heading}</b>\n\n{escape(question)}\n\n<i>{how}</i>"


def addition(t: Texts, ticket: Ticket, text: str) -> str:
    heading = t.gettext("The resident adds to opinion or suggestion {number}:").format(
        number=ticket.number
    )
    return f"<b>{heading}</b>\n\n{escape(text)}" if text else f"<b>{heading}</b>"


def attachment(t: Texts, ticket: Ticket, number: int, total: int, caption: str | None) -> str:
    """The caption of a copy of something the resident sent with the ticket."""
    heading = t.gettext("Attachment {number} of {total}, opinion or suggestion {ticket}").format(
        number=number, total=total, ticket=ticket.number
    )
    return f"<b>{heading}</b>\n{escape(caption)}" if caption else f"<b>{heading}</b>"


def hint(t: Texts, prefix: str) -> str:
    """To a message in a deputy group's chat the bot cannot relate to a ticket."""
    return t.gettext(
        "To answer a resident, reply to the card of their opinion or suggestion (or to any "
        "message under it). Messages between deputies: begin them with {prefix}, or reply to "
        "this message."
    ).format(prefix=escape(prefix))


def handed_to_staff(t: Texts, ticket: Ticket, group: DeputyGroup, deputy: Deputy) -> str:
    heading = t.gettext(
        "Opinion or suggestion {number} has been handed to the street working committee by "
        "deputy {name} of {group}."
    ).format(number=ticket.number, name=escape(deputy.name), group=escape(group.name))
    excerpt = ticket.text if len(ticket.text) <= 80 else ticket.text[:80] + "…"
    return f"<b>{heading}</b>\n\n{escape(excerpt)}"


def queue_listing(
    t: Texts, group: DeputyGroup, items: list[tuple[Ticket, str | None]], timezone: str
) -> str:
    """`/queue`: the group's open tickets, oldest first, each with its deadline and a link to
    its card or topic (when the chat has links)."""
    if not items:
        return t.gettext("{group} has no open opinions or suggestions.").format(
            group=escape(group.name)
        )
    lines = [
        "<b>"
        + t.ngettext(
            "{group}: {count} open opinion or suggestion, oldest first",
            "{group}: {count} open opinions or suggestions, oldest first",
            len(items),
        ).format(group=escape(group.name), count=len(items))
        + "</b>"
    ]
    for position, (ticket, link) in enumerate(items, start=1):
        due = ticket.answer_due
        number = f'<a href="{escape(link)}">{ticket.number}</a>' if link else ticket.number
        line = f"{position}. {number} · {render.status_label(t, ticket.status)}"
        if due is not None:
            line += " · " + t.gettext("to be answered by {date}").format(
                date=render.local_date(due, timezone)
            )
        excerpt = ticket.text.splitlines()[0] if ticket.text else ""
        excerpt = excerpt if len(excerpt) <= 30 else excerpt[:30] + "…"
        lines.append(f"{line}\n    {escape(excerpt)}")
    return "\n".join(lines)


def topic_name(t: Texts, ticket: Ticket) -> str:
    """A ticket's forum topic: its number, a short title and its status."""
    first = ticket.text.strip().splitlines()[0] if ticket.text.strip() else ""
    title = first if len(first) <= 20 else first[:20] + "…"
    return f"{ticket.number} {title} · {render.status_label(t, ticket.status)}"


def topic_recreated(t: Texts, ticket: Ticket) -> str:
    return t.gettext(
        "The earlier topic of opinion or suggestion {number} was deleted; it continues in "
        "this new topic."
    ).format(number=ticket.number)


def rights_missing(t: Texts, missing: list[str]) -> str:
    """To a deputy group's chat: what the bot cannot do there, and how to fix it."""
    lines = ["<b>" + t.gettext("The bot lacks rights in this group:") + "</b>"]
    if "topics" in missing:
        lines.append(
            "• "
            + t.gettext(
                "It cannot manage topics, so opinions and suggestions arrive as cards to reply "
                "to instead of a topic each. To fix: make the bot an administrator with the "
                "right to manage topics."
            )
        )
    if "messages" in missing:
        lines.append(
            "• "
            + t.gettext(
                "It cannot see the group's messages (privacy mode), only replies to its own "
                "messages: answer residents by replying to the card. To fix: make the bot an "
                "administrator, or turn privacy mode off with @BotFather (/setprivacy)."
            )
        )
    return "\n".join(lines)


def bot_removed(t: Texts, group: DeputyGroup, waiting: int) -> str:
    """To the street's staff: the bot was removed from a deputy group's chat."""
    return t.ngettext(
        "The bot was removed from the chat of {group} (or may no longer write there). Its "
        "{count} open opinion or suggestion waits undelivered until the bot is added back.",
        "The bot was removed from the chat of {group} (or may no longer write there). Its "
        "{count} open opinions or suggestions wait undelivered until the bot is added back.",
        waiting,
    ).format(group=escape(group.name), count=waiting)


def bot_back(t: Texts, group: DeputyGroup) -> str:
    return t.gettext(
        "The bot is back in the chat of {group}; what waited is being delivered."
    ).format(group=escape(group.name))
