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
