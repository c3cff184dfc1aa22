"""The people and chats of the sandbox, made in the fake Bot API: the deputy groups of the
directory file with their deputies, a staff member of the street committee in each, and a few
demo residents; visitors may add residents of their own."""

import itertools
from dataclasses import dataclass, field

from bot.fake_telegram import FakeChat, FakeTelegram, FakeUser

BOT_TOKEN = "100000001:SANDBOX-liaison-station"  # the fake's bot; no real token is involved
BOT_USERNAME = "liaison_sandbox_bot"
STAFF_BASE = 9_000_000_000  # user ids of the staff members in the group chats
RESIDENT_BASE = 8_000_000_000  # user ids of the residents visitors make


@dataclass(frozen=True)
class Resident:
    first_name: str
    last_name: str | None
    language_code: str


# Demo residents: two whose app speaks Chinese, one whose app speaks English.
DEMO_RESIDENTS = (
    Resident("小红", "李", "zh-hans"),
    Resident("伟", "张", "zh-hans"),
    Resident("Alex", "Morgan", "en"),
)


@dataclass(frozen=True)
class GroupSpec:
    """A deputy group of the directory file, as the sandbox makes its chat."""

    chat_id: int
    title: str
    deputies: tuple[tuple[int, str], ...]  # (Telegram user id, name)
    is_forum: bool = False


@dataclass(frozen=True)
class Place:
    """A place a resident may share from the page's list: a point inside a demo area, or
    (no name) one outside every area."""

    name: str | None
    latitude: float
    longitude: float


@dataclass
class SandboxWorld:
    """Who is who in the fake: the residents (newest last) and the deputy groups; and the
    places of the demo city a resident may share."""

    fake: FakeTelegram
    residents: list[FakeUser] = field(default_factory=list)
    groups: list[FakeChat] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    _resident_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def add_resident(self, first_name: str, last_name: str | None, language_code: str) -> FakeUser:
        user_id = RESIDENT_BASE + next(self._resident_ids)
        user = self.fake.user(user_id, first_name, last_name, language_code=language_code)
        self.residents.append(user)
        return user

    def group(self, chat_id: int) -> FakeChat | None:
        return next((group for group in self.groups if group.id == chat_id), None)

    def resident(self, user_id: int) -> FakeUser | None:
        return next((user for user in self.residents if user.id == user_id), None)


def make_world(fake: FakeTelegram, groups: list[GroupSpec]) -> SandboxWorld:
    """The bot, the groups with their deputies and a staff member, the demo residents."""
    fake.add_bot(token=BOT_TOKEN, username=BOT_USERNAME, first_name="代表联络站")
    world = SandboxWorld(fake)
    deputies: dict[int, FakeUser] = {}
    for number, spec in enumerate(groups, start=1):
        members = []
        for user_id, name in spec.deputies:
            if user_id not in deputies:
                deputies[user_id] = fake.user(user_id, name)
            members.append(deputies[user_id])
        staff = fake.user(STAFF_BASE + number, "联络员", "工委")
        chat = fake.group(spec.chat_id, spec.title, [*members, staff], is_forum=spec.is_forum)
        world.groups.append(chat)
    for resident in DEMO_RESIDENTS:
        world.add_resident(resident.first_name, resident.last_name, resident.language_code)
    return world


def phone_of(user: FakeUser) -> str:
    """A demo resident's phone number, as their contact shares it (made up, never dialled)."""
    return f"+86138{user.id % 10**8:08d}"
