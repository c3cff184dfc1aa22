"""Receptions (接待) in words: the list a resident sees, a reception's details, what is
announced, the reminders, the group's sign-up list and every refusal."""

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.text.catalogs import Texts
from bot.text.render import name_in
from storage.models import Reception, ReceptionKind, ReceptionSignup, SignupStatus


def kind_label(t: Texts, kind: ReceptionKind) -> str:
    labels = {
        ReceptionKind.NIGHT: t.gettext("Night-time reception"),
        ReceptionKind.THEMED: t.gettext("Themed reception"),
        ReceptionKind.MICRO: t.gettext("Micro reception"),
        ReceptionKind.ONLINE: t.gettext("Online reception"),
    }
    return labels[kind]


def weekday(t: Texts, moment: datetime) -> str:
    names = (
        t.gettext("Mon"),
        t.gettext("Tue"),
        t.gettext("Wed"),
        t.gettext("Thu"),
        t.gettext("Fri"),
        t.gettext("Sat"),
        t.gettext("Sun"),
    )
    return names[moment.weekday()]


def window(t: Texts, reception: Reception, timezone: str) -> str:
    """When: 12月1日（周二）19:00—21:00 / Tue 1 Dec, 19:00–21:00."""
    zone = ZoneInfo(timezone)
    start, end = reception.starts_at.astimezone(zone), reception.ends_at.astimezone(zone)
    return t.gettext("{weekday} {day}/{month}, {start}–{end}").format(
        weekday=weekday(t, start),
        day=start.day,
        month=start.month,
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
    )


def where(t: Texts, reception: Reception) -> str:
    if reception.place:
        return escape(reception.place)
    return t.gettext("online")


def title(t: Texts, reception: Reception) -> str:
    """夜间接待（海德街道代表联络站）."""
    return t.gettext("{kind} ({station})").format(
        kind=kind_label(t, reception.kind), station=escape(name_in(t, reception.station))
    )


def free_places(t: Texts, reception: Reception, taken: int) -> str:
    free = reception.capacity - taken
    if free <= 0:
        return t.gettext("full (waitlist open)")
    return t.ngettext("{n} place free", "{n} places free", free).format(n=free)


def list_line(t: Texts, reception: Reception, taken: int, timezone: str) -> str:
    return f"{window(t, reception, timezone)} · {title(t, reception)} · " + free_places(
        t, reception, taken
    )


def details(
    t: Texts, reception: Reception, taken: int, timezone: str, mine: ReceptionSignup | None
) -> str:
    lines = [
        "<b>" + title(t, reception) + "</b>",
        t.gettext("Time: {window}").format(window=window(t, reception, timezone)),
        t.gettext("Place: {place}").format(place=where(t, reception)),
    ]
    if reception.how_to_join:
        lines.append(t.gettext("How to join: {how}").format(how=escape(reception.how_to_join)))
    if reception.theme:
        lines.append(t.gettext("Theme: {theme}").format(theme=escape(reception.theme)))
    if reception.department:
        lines.append(
            t.gettext("Invited department: {department}").format(
                department=escape(reception.department)
            )
        )
    deputies = t.gettext(", ").join(escape(duty.deputy.name) for duty in reception.duties)
    lines.append(t.gettext("Deputies on duty: {names}").format(names=deputies or "—"))
    lines.append(free_places(t, reception, taken))
    if mine is not None and mine.status != SignupStatus.CANCELLED:
        lines.append("")
        lines.append(signup_state(t, mine))
    return "\n".join(lines)


def signup_state(t: Texts, signup: ReceptionSignup) -> str:
    if signup.status == SignupStatus.WAITLISTED:
        return t.gettext(
            "You are on the waitlist. If a place becomes free, you will get it and be told here."
        )
    return t.gettext("You are signed up. Your check-in code: <b>{code}</b>").format(
        code=signup.code
    )


def announced(t: Texts, reception: Reception, timezone: str) -> str:
    return (
        t.gettext("New reception at a station you follow:")
        + "\n"
        + details(t, reception, 0, timezone, None)
    )


def changed(t: Texts, reception: Reception, timezone: str, before: str) -> str:
    return "\n".join(
        [
            t.gettext("A reception has changed. It was: {before}").format(before=before),
            t.gettext("It is now:"),
            details(t, reception, 0, timezone, None).replace(
                "\n" + free_places(t, reception, 0), ""
            ),
        ]
    )


def cancelled(t: Texts, reception: Reception, timezone: str) -> str:
    text = t.gettext("The {title} on {window} has been cancelled.").format(
        title=title(t, reception), window=window(t, reception, timezone)
    )
    if reception.cancel_reason:
        text += "\n" + t.gettext("The reason: {reason}").format(
            reason=escape(reception.cancel_reason)
        )
    return text


def promoted(t: Texts, reception: Reception, signup: ReceptionSignup, timezone: str) -> str:
    return t.gettext(
        "A place has become free: you are now signed up for the {title} on {window}. "
        "Your check-in code: <b>{code}</b>"
    ).format(title=title(t, reception), window=window(t, reception, timezone), code=signup.code)


def moved_to_waitlist(t: Texts, reception: Reception, timezone: str) -> str:
    return t.gettext(
        "We are sorry: the {title} on {window} now has only {capacity} places, and your sign-up "
        "has moved to the top of the waitlist. If a place becomes free, it is yours and you will "
        "be told at once. If you no longer wish to wait, you can cancel."
    ).format(
        title=title(t, reception),
        window=window(t, reception, timezone),
        capacity=reception.capacity,
    )


def reminder(
    t: Texts, reception: Reception, signup: ReceptionSignup, timezone: str, now: datetime
) -> str:
    """Said as it is when it is sent: a place given on the day is reminded of as today's."""
    zone = ZoneInfo(timezone)
    starts = reception.starts_at.astimezone(zone)
    days = (starts.date() - now.astimezone(zone).date()).days
    if reception.starts_at - now <= timedelta(hours=2):
        heading = t.gettext("Reminder: your reception begins in two hours.")
    elif days == 0:
        heading = t.gettext("Reminder: your reception is today at {time}.").format(
            time=f"{starts:%H:%M}"
        )
    else:
        heading = t.gettext("Reminder: your reception is tomorrow.")
    return "\n".join(
        [
            "<b>" + heading + "</b>",
            details(t, reception, 0, timezone, None).replace(
                "\n" + free_places(t, reception, 0), ""
            ),
            t.gettext("Your check-in code: <b>{code}</b>").format(code=signup.code),
            t.gettext("If you cannot come, please cancel, so someone else can have the place."),
        ]
    )


def late_change_flag(t: Texts, reception: Reception, timezone: str, what: str) -> str:
    return t.gettext(
        "Less than three days' notice: the {title} on {window} was {what}. The rules ask for "
        "changes to be announced at least three days ahead."
    ).format(title=title(t, reception), window=window(t, reception, timezone), what=what)


def signup_list(
    t: Texts,
    reception: Reception,
    signups: list[tuple[ReceptionSignup, str]],
    waiting: int,
    timezone: str,
) -> str:
    """The group's list of who signed up: what each wants to raise, names only where the
    resident agreed, and the check-in codes."""
    lines = [
        "<b>" + t.gettext("Sign-ups: {title}").format(title=title(t, reception)) + "</b>",
        window(t, reception, timezone) + " · " + where(t, reception),
        t.ngettext("{n} signed up", "{n} signed up", len(signups)).format(n=len(signups))
        + (
            " · "
            + t.ngettext("{n} on the waitlist", "{n} on the waitlist", waiting).format(n=waiting)
            if waiting
            else ""
        ),
    ]
    for number, (signup, name) in enumerate(signups, start=1):
        who = escape(name) if signup.show_name and name else t.gettext("(name not shown)")
        line = f"{number}. {signup.code} · {who}"
        if signup.checked_in_at is not None:
            line += " · " + t.gettext("checked in")
        if signup.topic:
            line += "\n   " + escape(signup.topic)
        lines.append(line)
    if not signups:
        lines.append(t.gettext("Nobody has signed up yet."))
    lines.append("")
    lines.append("<i>" + t.gettext("Check a resident in with /checkin CODE.") + "</i>")
    return "\n".join(lines)


def refusal(t: Texts, reason: str, detail: str = "") -> str:
    """Why a resident's or a deputy's step was refused (`bot.core.receptions.Refusal`)."""
    texts = {
        "cancelled": t.gettext("This reception has been cancelled."),
        "started": t.gettext(
            "This reception has already begun; sign-ups and cancellations are closed."
        ),
        "already_signed_up": t.gettext("You have already signed up for this reception."),
        "not_signed_up": t.gettext("You are not signed up for this reception."),
        "not_confirmed": t.gettext("This resident is on the waitlist and has no place."),
        "unknown_code": t.gettext("No sign-up has this check-in code. Please check it."),
        "other_reception": t.gettext("This check-in code is for another reception: {what}."),
        "already_checked_in": t.gettext("This resident has already checked in."),
        "not_on_duty": t.gettext("Only the deputies on duty at this reception can do this."),
        "not_begun": t.gettext("This reception has not begun yet."),
        "check_in_not_open": t.gettext("Check-in opens one day before the reception begins."),
        "over": t.gettext("This reception is over."),
        "record_closed": t.gettext("The record of this reception is closed."),
        "already_rated": t.gettext("You have already rated this reception."),
        "ends_before_start": t.gettext("A reception ends after it begins."),
        "no_proposal": t.gettext("There is no proposal to answer."),
        "already_scheduled": t.gettext("This request has already been arranged."),
        "unknown_claim": t.gettext(
            "This claim code is not known or has been used already. Please check the code the "
            "deputies gave you and send /follow CODE again."
        ),
    }
    return texts.get(reason, t.gettext("This cannot be done now.")).format(what=detail)


def raised(t: Texts, reception: Reception, number: str, timezone: str) -> str:
    """To the resident: what they raised at the reception is now an opinion or suggestion."""
    return t.gettext(
        "What you raised at the {title} on {window} is recorded as opinion or suggestion "
        "{number}. Progress will be reported here."
    ).format(title=title(t, reception), window=window(t, reception, timezone), number=number)


def walk_in_recorded(t: Texts, number: str, code: str) -> str:
    """To the group: a walk-in's issue is a ticket; the code to give them on the spot."""
    return t.gettext(
        "Recorded as opinion or suggestion {number}. Please give the person who raised it the "
        "number and the claim code <b>{code}</b>: sending /follow {code} to this bot lets them "
        "follow it here. Until they do, tell them the answer in person or by phone."
    ).format(number=number, code=code)


def claimed(t: Texts, reception: Reception, number: str, status: str, timezone: str) -> str:
    """To the person who claimed what they raised at a reception."""
    return t.gettext(
        "What you raised at the {title} on {window} is opinion or suggestion {number}; it is "
        "now linked to you and progress will be reported here. Status: {status}. Please quote "
        "this reference number when asking about its progress."
    ).format(
        title=title(t, reception),
        window=window(t, reception, timezone),
        number=number,
        status=status,
    )


def rating_question(t: Texts, reception: Reception, timezone: str) -> str:
    return t.gettext(
        "Thank you for coming to the {title} on {window}. Are you satisfied with the reception?"
    ).format(title=title(t, reception), window=window(t, reception, timezone))


def attendance(
    t: Texts, reception: Reception, timezone: str, raised_numbers: list[str], closed: bool
) -> str:
    """The record of a reception for the deputy group: who of the deputies came, and the
    opinions and suggestions raised there."""
    lines = [
        "<b>" + t.gettext("Record: {title}").format(title=title(t, reception)) + "</b>",
        window(t, reception, timezone),
    ]
    for duty in reception.duties:
        state = {
            True: t.gettext("came"),
            False: t.gettext("did not come"),
            None: t.gettext("not recorded"),
        }[duty.attended]
        lines.append(
            f"{escape(duty.deputy.name)}：{state}"
            if not t.english
            else f"{escape(duty.deputy.name)}: {state}"
        )
    lines.append(
        t.gettext("Raised there: {numbers}").format(numbers=t.gettext(", ").join(raised_numbers))
        if raised_numbers
        else t.gettext("Nothing raised recorded yet.")
    )
    lines.append("")
    lines.append(
        "<i>"
        + (
            t.gettext("The record is closed; the residents who came were asked to rate it.")
            if closed
            else t.gettext(
                "Record what a resident raised with /raised CODE what they raised, and what "
                "someone who came without signing up raised with /walkin what they raised. Each "
                "becomes an opinion or suggestion they can follow."
            )
        )
        + "</i>"
    )
    return "\n".join(lines)


def days_label(t: Texts, days: str) -> str:
    labels = {
        "weekdays": t.gettext("Weekdays"),
        "weekend": t.gettext("Weekend"),
        "any": t.gettext("Any day"),
    }
    return labels[days]


def times_label(t: Texts, times: str) -> str:
    labels = {
        "morning": t.gettext("Morning"),
        "afternoon": t.gettext("Afternoon"),
        "evening": t.gettext("Evening"),
        "any": t.gettext("Any time"),
    }
    return labels[times]


def request_text(t: Texts, topic: str, days: str, times: str) -> str:
    """The text of the ticket a micro-reception request becomes, as the group's card shows."""
    return t.gettext("Request for a micro reception: {topic}\nPreferred: {days}, {times}").format(
        topic=topic.strip(), days=days_label(t, days), times=times_label(t, times)
    )


def slot_label(t: Texts, starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    return t.gettext("{weekday} {day}/{month}, {start}–{end}").format(
        weekday=weekday(t, start),
        day=start.day,
        month=start.month,
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
    )


def slots_proposed(t: Texts, number: str, deputy_name: str) -> str:
    return t.gettext(
        "Deputy {name} proposes these times for your micro reception ({number}). Please choose one:"
    ).format(name=escape(deputy_name), number=number)


def slot_taken(t: Texts, number: str, reception: Reception, timezone: str) -> str:
    return t.gettext(
        "The resident chose a time for the micro reception ({number}): {window}, {place}."
    ).format(number=number, window=window(t, reception, timezone), place=where(t, reception))


def slots_declined(t: Texts, number: str) -> str:
    return t.gettext(
        "None of the proposed times suits the resident ({number}). Please propose others with "
        "/slots {number} …"
    ).format(number=number)
