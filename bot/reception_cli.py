"""`python -m bot reception create | change | cancel | checkin | raise | list`: staff schedule
receptions from the command line, through the same core functions as the staff panel. Times
are local (`TIMEZONE`), written `2026-12-01 19:00`; an end may be just `21:00` (the same day).
Each change is kept in the reception's history (`list --history ID`) with who made it: `--by`,
or the login of whoever runs the command."""

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, SystemClock
from bot.core.reception_outcomes import ReceptionOutcomes
from bot.core.reception_signups import Signups
from bot.core.receptions import (
    Outcome,
    ReceptionDesk,
    ReceptionPlan,
    ReceptionRefused,
    Refusal,
    history,
)
from bot.core.tickets import TicketDesk
from bot.delivery.wakeup import notify_senders
from bot.settings import Settings
from bot.text import receptions as words
from bot.text.catalogs import Catalogs
from storage.db import open_database
from storage.models import Deputy, DeputyGroup, Reception, ReceptionKind, ReceptionStatus, Station
from storage.schema import upgrade_apart

REFUSALS = {
    Refusal.IN_THE_PAST: "it would begin in the past",
    Refusal.ENDS_BEFORE_START: "it would end before it begins",
    Refusal.NO_CAPACITY: "its capacity must be at least 1",
    Refusal.NO_PLACE: "it needs a place (--place) or, online, how to join (--online)",
    Refusal.DEPUTY_BUSY: "on duty at another reception at that time: {detail}",
    Refusal.CANCELLED: "it is cancelled",
    Refusal.STARTED: "it has begun already",
    Refusal.UNKNOWN_CODE: "no sign-up of this reception has that code",
    Refusal.OTHER_RECEPTION: "that code is of reception {detail}",
    Refusal.NOT_CONFIRMED: "that resident is on the waitlist",
    Refusal.ALREADY_CHECKED_IN: "that resident has checked in already",
    Refusal.CHECK_IN_NOT_OPEN: "check-in opens one day before it begins",
    Refusal.OVER: "it is over",
    Refusal.NOT_BEGUN: "it has not begun yet: what was raised is recorded from its start",
    Refusal.RECORD_CLOSED: "its record is closed",
}


class Usage(Exception):
    """A wrong argument: said in one line, exit status 1."""


def add_parser(commands: Any) -> None:
    reception = commands.add_parser("reception", help="staff: schedule receptions (接待)")
    reception.add_argument(
        "--by", default=None, help="who makes the change, for its history (default: your login)"
    )
    actions = reception.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="schedule a reception")
    _plan_options(create, required=True)
    change = actions.add_parser("change", help="change a reception; announced to all concerned")
    change.add_argument("id", type=int)
    _plan_options(change, required=False)
    cancel = actions.add_parser("cancel", help="cancel a reception; announced to all concerned")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--reason", default="")
    check_in = actions.add_parser("checkin", help="check a resident in by their code")
    check_in.add_argument("id", type=int)
    check_in.add_argument("code")
    raising = actions.add_parser(
        "raise", help="record what was raised at a reception: an opinion or suggestion"
    )
    raising.add_argument("id", type=int)
    raising.add_argument("text")
    who = raising.add_mutually_exclusive_group(required=True)
    who.add_argument("--code", help="the check-in code of the resident who raised it")
    who.add_argument(
        "--walk-in", action="store_true", help="raised by someone who came without signing up"
    )
    listing = actions.add_parser("list", help="coming receptions, with their sign-ups")
    listing.add_argument("--station", help="a station's code")
    listing.add_argument("--history", type=int, metavar="ID", help="what was done to reception ID")


def _plan_options(parser: argparse.ArgumentParser, required: bool) -> None:
    kinds = [kind.value for kind in ReceptionKind]
    parser.add_argument("--kind", choices=kinds, required=required)
    parser.add_argument("--station", required=required, help="the station's code, e.g. st-hd")
    parser.add_argument("--group", help="the deputy group on duty (default: the station's)")
    parser.add_argument("--start", required=required, help="local time, e.g. '2026-12-01 19:00'")
    parser.add_argument("--end", required=required, help="local time, or just '21:00'")
    parser.add_argument("--capacity", type=int, required=required)
    parser.add_argument("--deputy", action="append", help="a deputy's code; repeat for more")
    parser.add_argument("--place")
    parser.add_argument("--online", help="online: how to join (a link, a meeting number)")
    parser.add_argument("--theme")
    parser.add_argument("--department", help="the department invited")


async def reception_command(
    settings: Settings, args: argparse.Namespace, clock: Clock | None = None
) -> int:
    catalogs = Catalogs(settings.text.locales_dir, settings.text.default_locale)
    desk = ReceptionDesk(clock or SystemClock(), catalogs, settings.text.timezone)
    await asyncio.to_thread(upgrade_apart, settings.storage.database_url)
    try:
        async with (
            open_database(settings.storage.database_url) as sessions,
            sessions.begin() as session,
        ):
            by = args.by or _login()
            if args.action == "list" and args.history is not None:
                return await _history(session, args.history)
            if args.action == "list":
                return await _list(session, desk, args.station)
            if args.action == "create":
                plan = await _plan(session, desk, args)
                outcome = await desk.create(session, plan, by=by)
                print(f"Reception {outcome.reception.id} scheduled: {_line(desk, outcome)}")
            else:
                reception = await session.get(Reception, args.id)
                if reception is None:
                    raise Usage(f"No reception {args.id}.")
                if args.action == "checkin":
                    signup = await Signups(desk).check_in(session, reception, args.code)
                    print(f"Checked in: {signup.code} at reception {reception.id}.")
                    return 0
                if args.action == "raise":
                    await _raise(session, desk, reception, args)
                    await session.commit()  # its card and the resident's notice are queued
                    await notify_senders(session.bind)
                    return 0
                if args.action == "cancel":
                    outcome = await desk.cancel(session, reception, args.reason, by=by)
                    print(f"Reception {reception.id} cancelled.")
                else:
                    changes = await _changes(session, desk, args, reception)
                    outcome = await desk.change(session, reception, by=by, **changes)
                    print(f"Reception {reception.id} changed: {_line(desk, outcome)}")
            # The announcements are queued: the running bot's senders hear of them at once.
            await session.commit()
            await notify_senders(session.bind)
            _report(outcome)
    except Usage as problem:
        print(problem, file=sys.stderr)
        return 1
    except ReceptionRefused as refused:
        reason = REFUSALS.get(refused.refusal, str(refused.refusal))
        print(f"Nothing was changed: {reason.format(detail=refused.detail)}.", file=sys.stderr)
        return 1
    return 0


def _line(desk: ReceptionDesk, outcome: Outcome) -> str:
    t = desk.catalogs.get(None)
    return words.list_line(t, outcome.reception, 0, desk.timezone).rsplit(" · ", 1)[0]


def _report(outcome: Outcome) -> None:
    print(f"Residents told (signed up or following the station): {outcome.told}.")
    for signup in outcome.moved_to_waitlist:
        print(f"Moved to the head of the waitlist: sign-up {signup.code} (told, with an apology).")
    for signup in outcome.promoted:
        print(f"A place went to the waitlist: sign-up {signup.code} (told).")
    if outcome.late:
        where = (
            "flagged to the street's staff chat"
            if outcome.staff_told
            else "the directory names no staff chat for the street: please tell staff yourself"
        )
        print(f"Less than three days' notice, as the rules ask for: allowed, and {where}.")


async def _list(session: AsyncSession, desk: ReceptionDesk, station_code: str | None) -> int:
    signups = Signups(desk)
    query = (
        select(Reception)
        .where(Reception.status == ReceptionStatus.SCHEDULED, Reception.ends_at > desk.clock.now())
        .order_by(Reception.starts_at, Reception.id)
    )
    if station_code:
        station = await _by_code(session, Station, station_code, "station")
        query = query.where(Reception.station_id == station.id)
    t = desk.catalogs.get(None)
    receptions = list(await session.scalars(query))
    for reception in receptions:
        taken, waiting = await signups.signed_up(session, reception)
        line = words.list_line(t, reception, len(taken), desk.timezone)
        print(f"{reception.id}\t{reception.kind}\t{line}\t{len(taken)}+{waiting} waiting")
    print(f"{len(receptions)} coming", file=sys.stderr)
    return 0


def _login() -> str:
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):  # no login name in a container
        return "command line"


async def _history(session: AsyncSession, reception_id: int) -> int:
    """One line a step: when (UTC), who, what, and the fields as they were and became."""
    if await session.get(Reception, reception_id) is None:
        raise Usage(f"No reception {reception_id}.")
    for change in await history(session, reception_id):
        before, after = change.before or {}, change.after or {}
        fields = "; ".join(
            f"{key}: {before[key]!r} → {after.get(key)!r}"
            if key in before
            else f"{key}: {after[key]!r}"
            for key in dict.fromkeys([*before, *after])
        )
        print(f"{change.at:%Y-%m-%d %H:%M}\t{change.by or '-'}\t{change.action}\t{fields}")
    return 0


async def _raise(
    session: AsyncSession, desk: ReceptionDesk, reception: Reception, args: argparse.Namespace
) -> None:
    outcomes = ReceptionOutcomes(desk, TicketDesk(desk.clock, desk.catalogs, desk.timezone))
    key = f"cli:{uuid.uuid4().hex}"  # a command run twice means two issues, unlike an update
    if args.walk_in:
        walk_in = await outcomes.raise_walk_in(session, reception, args.text, key)
        print(
            f"Recorded as {walk_in.ticket.number}. Give the person who raised it the claim code "
            f"{walk_in.claim_code}: sent to the bot as /follow {walk_in.claim_code}, it lets them "
            "follow it."
        )
        return
    raised = await outcomes.raise_issue(session, reception, args.code, args.text, key)
    print(f"Recorded as {raised.ticket.number}; the resident ({raised.signup.code}) is told.")


async def _plan(
    session: AsyncSession, desk: ReceptionDesk, args: argparse.Namespace
) -> ReceptionPlan:
    station = await _by_code(session, Station, args.station, "station")
    group = await _group(session, desk, station, args.group)
    starts_at = _local(args.start, desk.timezone)
    return ReceptionPlan(
        kind=ReceptionKind(args.kind),
        station=station,
        group=group,
        starts_at=starts_at,
        ends_at=_local(args.end, desk.timezone, starts_at),
        capacity=args.capacity,
        deputies=await _deputies(session, args.deputy or []),
        place=args.place,
        how_to_join=args.online,
        theme=args.theme,
        department=args.department,
    )


async def _changes(
    session: AsyncSession, desk: ReceptionDesk, args: argparse.Namespace, reception: Reception
) -> dict[str, object]:
    changes: dict[str, object] = {}
    if args.kind:
        changes["kind"] = ReceptionKind(args.kind)
    if args.station:
        changes["station"] = await _by_code(session, Station, args.station, "station")
    if args.group or args.station:
        station = changes.get("station", reception.station)
        assert isinstance(station, Station)
        changes["group"] = await _group(session, desk, station, args.group)
    if args.start:
        changes["starts_at"] = _local(args.start, desk.timezone)
    start = changes.get("starts_at", reception.starts_at)
    assert isinstance(start, datetime)
    if args.end:
        changes["ends_at"] = _local(args.end, desk.timezone, start)
    elif args.start:  # moved: the same length
        changes["ends_at"] = start + (reception.ends_at - reception.starts_at)
    for name, value in (
        ("capacity", args.capacity),
        ("place", args.place),
        ("how_to_join", args.online),
        ("theme", args.theme),
        ("department", args.department),
    ):
        if value is not None:
            changes[name] = value or None if name != "capacity" else value
    if args.deputy:
        changes["deputies"] = await _deputies(session, args.deputy)
    return changes


def _local(text: str, timezone: str, day_of: datetime | None = None) -> datetime:
    zone = ZoneInfo(timezone)
    try:
        if day_of is not None and len(text.strip()) <= 5:
            moment = datetime.strptime(text.strip(), "%H:%M")
            day = day_of.astimezone(zone)
            return day.replace(hour=moment.hour, minute=moment.minute, second=0, microsecond=0)
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    except ValueError:
        raise Usage(f"Not a time: {text!r}; write it as '2026-12-01 19:00' (local).") from None


async def _by_code(session: AsyncSession, model: Any, code: str, what: str) -> Any:
    found = await session.scalar(select(model).where(model.code == code))
    if found is None or not found.active:
        raise Usage(f"No active {what} {code}.")
    return found


async def _group(
    session: AsyncSession, desk: ReceptionDesk, station: Station, code: str | None
) -> DeputyGroup:
    if code:
        group: DeputyGroup = await _by_code(session, DeputyGroup, code, "deputy group")
        if group.station_id != station.id:
            raise Usage(f"Deputy group {code} is not of station {station.code}.")
        return group
    found = await desk.default_group(session, station)
    if found is None:
        raise Usage(f"Station {station.code} has no active deputy group.")
    return found


async def _deputies(session: AsyncSession, codes: Sequence[str]) -> tuple[Deputy, ...]:
    return tuple([await _by_code(session, Deputy, code, "deputy") for code in codes])
