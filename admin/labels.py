"""The panel's names of filters, sort orders, roles, timeline entries and the like; marked
for the catalogs here and translated where shown (`label` in the templates)."""

from admin import i18n
from bot.text import receptions, render
from bot.text.catalogs import N_
from storage.models import Escalation, ReceptionKind

LABELS: dict[str, dict[str, str]] = {
    "flag": {
        "unrouted": N_("Unrouted"),
        "overdue": N_("Overdue"),
        "due_soon": N_("Due soon"),
        "reopened": N_("Reopened"),
        "escalated": N_("Escalated"),
        "unrated": N_("Not rated"),
    },
    "sort": {
        "oldest": N_("Oldest first"),
        "newest": N_("Newest first"),
        "due": N_("By deadline"),
        "priority": N_("By priority"),
    },
    "role": {
        "administrator": N_("Administrator"),
        "street": N_("Street staff"),
        "observer": N_("Observer"),
    },
    "priority": {"normal": N_("Normal"), "high": N_("High"), "urgent": N_("Urgent")},
    "event": {
        "submitted": N_("Raised by the resident"),
        "routed": N_("Routed to a deputy group"),
        "unrouted": N_("No routing rule matched"),
        "rerouted": N_("Passed on"),
        "card_not_sent": N_("The card could not be sent"),
        "replied": N_("Deputy's answer"),
        "status_changed": N_("Status changed"),
        "rating_asked": N_("Rating asked"),
        "rated": N_("Rated"),
        "extended": N_("Deadline extended"),
        "warned": N_("Deadline warning"),
        "overdue": N_("Overdue"),
        "note": N_("Internal note"),
        "priority_set": N_("Priority set"),
        "category_changed": N_("Category changed"),
        "staff_replied": N_("Staff reply to the resident"),
        "suggested": N_("Gathered into a suggestion during the recess"),
        "suggestion_answered": N_("The department answered the suggestion"),
        "claimed": N_("Taken up in the bot by the person who raised it at a reception"),
        "message": N_("Message"),
    },
    "actor": {
        "resident": N_("Resident"),
        "deputy": N_("Deputy"),
        "staff": N_("Staff"),
        "system": N_("System"),
        "deputy_group": N_("Deputy group"),
        "staff_chat": N_("Staff chat"),
    },
    "delivery": {"pending": N_("pending"), "sent": N_("delivered"), "failed": N_("failed")},
    "reception_status": {"scheduled": N_("Scheduled"), "cancelled": N_("Cancelled")},
}


def label(kind: str, value: object) -> str:
    if kind == "escalation":
        return render.escalation_label(i18n.current.get(), Escalation(str(value)))
    if kind == "reception_kind":
        return receptions.kind_label(i18n.current.get(), ReceptionKind(str(value)))
    text = LABELS[kind].get(str(value))
    return i18n.gettext(text) if text else str(value)
