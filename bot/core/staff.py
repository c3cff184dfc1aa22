"""Staff accounts of the panel: created from the command line (the first administrator) or by
a one-time invitation; passwords hashed with argon2id; disabling an account ends its sessions
(each session carries the account's `session_epoch`, which disabling raises)."""

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import audit
from bot.text.catalogs import N_
from storage.models import Area, AreaKind, StaffInvitation, StaffMember, StaffRole

HASHER = PasswordHasher()  # argon2id, with the library's current parameters (RFC 9106 low memory)
MIN_PASSWORD_LENGTH = 10
INVITATION_DAYS = 3


class StaffError(ValueError):
    """A refused change of an account; the message is a catalog message id."""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(N_("A password needs at least 10 characters."))


async def create_account(
    session: AsyncSession,
    login: str,
    name: str,
    password: str,
    role: StaffRole,
    now: datetime,
    street_ids: list[int] | None = None,
) -> StaffMember:
    login = login.strip()
    if not login or not name.strip() or len(login) > 64:
        raise StaffError(N_("A login (up to 64 characters) and a name are needed."))
    check_password(password)
    if await session.scalar(select(StaffMember.id).where(StaffMember.login == login)):
        raise StaffError(N_("This login is taken."))
    streets = await _streets(session, street_ids or [])
    if role == StaffRole.STREET and not streets:
        raise StaffError(N_("Street staff need at least one street."))
    member = StaffMember(
        login=login,
        name=name.strip(),
        password_hash=HASHER.hash(password),
        role=role,
        active=True,
        session_epoch=0,
        created_at=now,
        streets=streets if role == StaffRole.STREET else [],
    )
    session.add(member)
    await session.flush()
    return member


async def authenticate(session: AsyncSession, login: str, password: str) -> StaffMember | None:
    """The active account with this login and password, or None (taking as long either way)."""
    member = await session.scalar(select(StaffMember).where(StaffMember.login == login.strip()))
    try:
        HASHER.verify(member.password_hash if member else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if member is None or not member.active:
        return None
    if HASHER.check_needs_rehash(member.password_hash):
        member.password_hash = HASHER.hash(password)
    return member


@cache
def _dummy_hash() -> str:
    """Verified when a login is unknown, so that a wrong login takes as long as a wrong password
    (made on first use: hashing costs time and memory, which importing should not)."""
    return HASHER.hash("not a password of anyone")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(
    session: AsyncSession,
    by: StaffMember,
    role: StaffRole,
    street_ids: list[int],
    now: datetime,
) -> str:
    """A one-time token for a new account; only its hash is stored."""
    streets = await _streets(session, street_ids)
    if role == StaffRole.STREET and not streets:
        raise StaffError(N_("Street staff need at least one street."))
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        token_hash=_token_hash(token),
        role=role,
        street_ids=[street.id for street in streets] if role == StaffRole.STREET else [],
        created_by=by.id,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    await session.flush()
    after = {"role": role.value, "streets": invitation.street_ids}
    audit.record(session, by, "staff.invite", f"invitation {invitation.id}", now, None, after)
    return token


async def open_invitation(
    session: AsyncSession, token: str, now: datetime
) -> StaffInvitation | None:
    invitation = await session.scalar(
        select(StaffInvitation).where(StaffInvitation.token_hash == _token_hash(token))
    )
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return None
    return invitation


async def accept_invitation(
    session: AsyncSession, token: str, login: str, name: str, password: str, now: datetime
) -> StaffMember:
    invitation = await open_invitation(session, token, now)
    if invitation is None:
        raise StaffError(N_("This invitation has been used or has expired."))
    member = await create_account(
        session, login, name, password, invitation.role, now, invitation.street_ids
    )
    invitation.used_at, invitation.used_by = now, member.id
    after = {"login": member.login, "role": member.role.value, "streets": invitation.street_ids}
    audit.record(session, member, "staff.join", f"staff {member.id}", now, None, after)
    return member


async def set_active(
    session: AsyncSession, by: StaffMember, member: StaffMember, active: bool, now: datetime
) -> None:
    """Disable (ending every session at once) or enable an account."""
    if member.id == by.id and not active:
        raise StaffError(N_("You cannot disable your own account."))
    before = {"active": member.active}
    member.active = active
    member.session_epoch += 1
    action = "staff.enable" if active else "staff.disable"
    audit.record(session, by, action, f"staff {member.id}", now, before, {"active": active})


async def staff_list(session: AsyncSession) -> list[StaffMember]:
    return list(await session.scalars(select(StaffMember).order_by(StaffMember.id)))


async def streets(session: AsyncSession) -> list[Area]:
    """The streets (街道/乡镇) staff may be given."""
    return list(
        await session.scalars(
            select(Area)
            .where(Area.kind == AreaKind.STREET, Area.active.is_(True))
            .order_by(Area.position, Area.id)
        )
    )


async def _streets(session: AsyncSession, ids: list[int]) -> list[Area]:
    if not ids:
        return []
    found = list(
        await session.scalars(select(Area).where(Area.id.in_(ids), Area.kind == AreaKind.STREET))
    )
    if len(found) != len(set(ids)):
        raise StaffError(N_("Choose streets from the list."))
    return found
