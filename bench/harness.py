"""What the benches share: the fake Bot API in the measuring process, timing what it hands out
and what it receives; a bot as a process of its own, its memory sampled; fresh databases.

Waiting for an answer here costs one look per message the bot sends to that chat (the fake's
own `wait_for` re-checks every waiter on every change, too slow for hundreds of residents).
"""

import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bot.fake_telegram import FakeTelegram
from bot.settings import Settings

ANSWERS = frozenset({"sendMessage", "editMessageText"})
# A relay bot's answer is its copy (or forward) of the update's message to another chat (a
# group): it answers the update in the chat the message came from, matched by that message's
# text (a copy carries no text of its own in its request).
RELAYS = frozenset({"copyMessage", "forwardMessage"})
SETTINGS_VARIABLES = {
    name.upper()
    for section in Settings.model_fields.values()
    for name in section.annotation.model_fields  # type: ignore[union-attr]
}
# A bot process started by a test or a bench leaves the staff panel's port to whoever runs one.
NO_PANEL = {"ADMIN_BIND": ""}


STALL = 60.0  # seconds without any answer from the bot before a bench gives up on it
# The measuring process keeps every update, message and timing it made (the fake's history,
# the chats, `sent`): over a 3-minute soak its heap grew from 1.2 to 2.0 million blocks, and
# each full collection of it stopped the fake — and so the bot's getUpdates and answers — for
# 0.3–1.0 s, longer as the soak went on. With `young_collector`, what survives the young
# collections is frozen out of the collector's way every FREEZE_EVERY seconds while the fake
# serves (`gc.freeze`), so the oldest generation holds only what the last second promoted;
# `stop` hands it all back to the collector (`gc.unfreeze`) and collects it then.
FREEZE_EVERY = 1.0


class BenchStalled(AssertionError):
    """The bot stopped answering: the bench fails, naming what it waited for."""


@dataclass
class Sent:
    """An update a user made, when, and (once it came) when the bot's answer to it came."""

    update_id: int
    at: float
    marker: str  # the answer is the first message to the chat after `at` containing this
    answered: float | None = None
    confirmed: float | None = None  # getUpdates confirmed it: the bot had recorded it


@dataclass
class _Waiter:
    containing: str
    after: float
    found: asyncio.Future[dict[str, Any]]


class TimedFake(FakeTelegram):
    """The fake Bot API, noting when each update was made, confirmed and answered."""

    def __init__(self, young_collector: bool = False) -> None:
        super().__init__()
        self.young_collector = young_collector
        self.sent: list[Sent] = []
        self._open: dict[int, list[Sent]] = {}  # chat → updates waiting for their answer
        self._waiters: dict[int, list[_Waiter]] = {}
        self._confirmed_below = 0
        self._settled = asyncio.Event()
        self._log: dict[int, list[tuple[float, str, int]]] = {}  # chat → (when, text, id)
        self._answers = 0  # messages the bot sent or edited: progress, while waiting
        self._freezing: asyncio.Task[None] | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self.young_collector:
            self._freezing = asyncio.create_task(_keep_the_collector_young())
        return await super().start(host, port)

    async def stop(self) -> None:
        if self._freezing is not None:
            self._freezing.cancel()
            self._freezing = None
            gc.unfreeze()
            gc.collect()  # its pause (2 s after a 10-minute soak) here, not in what comes next
        await super().stop()

    async def write(self, user: Any, text: str, marker: str, chat: Any = None, **kw: Any) -> Sent:
        """`user` writes `text`; the answer is the bot's next message there holding `marker`."""
        at = time.perf_counter()
        message = await user.send_text(text, chat, **kw)
        return self._note(message["chat"]["id"], at, marker)

    async def press(self, user: Any, chat_id: int, message_id: int, label: str, marker: str):
        """`user` presses the button `label` of a bot message (as the message is now)."""
        stored = self._chats[chat_id].messages[message_id]
        rows = stored.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = {b["text"]: b["callback_data"] for row in rows for b in row}
        at = time.perf_counter()
        await user.press(stored, buttons[label])
        return self._note(chat_id, at, marker)

    def _note(self, chat_id: int, at: float, marker: str) -> Sent:
        sent = Sent(next(reversed(self._history)), at, marker)
        self.sent.append(sent)
        self._open.setdefault(chat_id, []).append(sent)
        self._settled.clear()
        return sent

    async def says(self, chat_id: int, containing: str, after: float, timeout: float = 120):
        """The bot's first message to the chat after `after` containing the text."""
        for when, text, message_id in self._messages_since(chat_id, after):
            if containing in text:
                return {"text": text, "message_id": message_id, "at": when}
        found = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(chat_id, []).append(_Waiter(containing, after, found))
        try:
            return await asyncio.wait_for(found, timeout)
        except TimeoutError:
            raise BenchStalled(
                f"waited {timeout:.0f}s for the bot to say {containing!r} to chat {chat_id}; "
                f"it said since: {self._said_since(chat_id, after)}"
            ) from None

    def _said_since(self, chat_id: int, after: float) -> list[str]:
        return [text[:80] for _, text, _ in self._messages_since(chat_id, after)][-3:] or [
            "nothing"
        ]

    def _messages_since(self, chat_id: int, after: float) -> list[tuple[float, str, int]]:
        return [m for m in self._log.get(chat_id, []) if m[0] > after]

    async def all_answered(self, timeout: float, stall: float = STALL) -> None:
        """Until every update has its answer; fails, naming what is still awaited, after
        `timeout` in all or once `stall` seconds pass without a single answer."""
        deadline = time.perf_counter() + timeout
        while any(self._open.values()):
            answers = self._answers
            wait = min(stall, deadline - time.perf_counter())
            try:
                await asyncio.wait_for(self._settled.wait(), max(wait, 0))
            except TimeoutError:
                if self._answers == answers or time.perf_counter() >= deadline:
                    raise BenchStalled(self._unanswered(stall, timeout)) from None

    def _unanswered(self, stall: float, timeout: float) -> str:
        open_ = [(chat, s) for chat, sent in self._open.items() for s in sent]
        lines = [
            f"{len(open_)} update(s) unanswered (no answer for {stall:.0f}s, or {timeout:.0f}s "
            "in all); waited for:"
        ]
        for chat, sent in open_[:10]:
            lines.append(
                f"  chat {chat}: a message containing {sent.marker!r}; the bot said since: "
                f"{self._said_since(chat, sent.at)}"
            )
        return "\n".join(lines)

    async def _dispatch(self, token: str, name: str, params: dict[str, Any]):
        now = time.perf_counter()
        if name == "getUpdates" and params.get("offset"):
            self._confirm(int(params["offset"]), now)
        status, body = await super()._dispatch(token, name, params)
        if status == 200 and name in ANSWERS:
            now = time.perf_counter()
            result = body["result"]
            message_id = result["message_id"] if isinstance(result, dict) else 0
            self._answered(int(params["chat_id"]), str(params.get("text", "")), message_id, now)
        elif status == 200 and name in RELAYS:
            source = self._chats[int(params["from_chat_id"])]
            text = source.messages[int(params["message_id"])].get("text", "")
            self._answers += 1
            self._settle(source.id, text, time.perf_counter())
        return status, body

    def _confirm(self, offset: int, now: float) -> None:
        for sent in self.sent[self._confirmed_below :]:
            if sent.update_id >= offset:
                break
            sent.confirmed = now
            self._confirmed_below += 1

    def _answered(self, chat_id: int, text: str, message_id: int, now: float) -> None:
        self._log.setdefault(chat_id, []).append((now, text, message_id))
        self._answers += 1
        self._settle(chat_id, text, now)
        for waiter in list(self._waiters.get(chat_id, [])):
            if waiter.containing in text and waiter.after < now and not waiter.found.done():
                waiter.found.set_result({"text": text, "message_id": message_id, "at": now})
                self._waiters[chat_id].remove(waiter)

    def _settle(self, chat_id: int, text: str, now: float) -> None:
        """The first update still open in the chat whose marker the text holds is answered."""
        waiting = self._open.get(chat_id)
        if waiting:
            for sent in waiting:
                if sent.marker in text and sent.at < now:
                    sent.answered = now
                    waiting.remove(sent)
                    break
            if not any(self._open.values()):
                self._settled.set()


async def _keep_the_collector_young() -> None:
    """Collects the young generations and freezes what survives them, every FREEZE_EVERY
    seconds, so no full collection in the measuring process walks what the run has kept."""
    while True:
        gc.collect(1)
        gc.freeze()
        await asyncio.sleep(FREEZE_EVERY)


class BotProcess:
    """A bot (`python -m bot run`, or the reference) in a process of its own; its resident
    memory is sampled while it runs. `command` runs another program instead of
    `python -m ARGS` (the peer, in a Python of its own), in `cwd`."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        log: Path,
        *,
        command: list[str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        clean = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
        self.args, self.env, self.log = args, {**clean, **NO_PANEL, **env}, log
        self.command = command or [sys.executable, "-m", *args]
        self.cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        self.rss: list[tuple[float, float]] = []  # (seconds since start, MB)
        self._sampling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, env=self.env, cwd=self.cwd, stderr=log, stdout=log
            )
        self._sampling = asyncio.create_task(self._sample())

    def memory(self, field_name: str = "VmRSS") -> float:
        """MB of the process's memory now (VmRSS) or at its peak so far (VmHWM)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far (user and system)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def _sample(self) -> None:
        started = time.perf_counter()
        while True:
            try:
                self.rss.append((time.perf_counter() - started, self.memory()))
            except (FileNotFoundError, ProcessLookupError):
                return
            await asyncio.sleep(0.5)

    async def stop(self) -> int:
        assert self.process is not None and self._sampling is not None
        self._sampling.cancel()
        if self.process.returncode is None:
            self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), 60)


@dataclass
class Database:
    """A database of its own for one run: a new SQLite file, or a new PostgreSQL database
    (created and dropped through an admin URL that may CREATE DATABASE) with a Redis prefix."""

    url: str
    redis_url: str | None = None
    admin_url: str | None = None
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = "PostgreSQL+Redis" if self.admin_url else "SQLite+memory"

    @classmethod
    async def create(cls, admin_url: str | None, redis_url: str | None) -> "Database":
        if admin_url is None:
            return cls(f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
        name = f"lsb_bench_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(admin_url)
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()
        base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return cls(f"{base}/{name}", redis_url, admin_url)

    async def drop(self) -> None:
        if self.admin_url is None:
            return
        connection = await asyncpg.connect(self.admin_url)
        await connection.execute(f'DROP DATABASE "{self.url.rsplit("/", 1)[1]}" WITH (FORCE)')
        await connection.close()


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def spread(values: list[float]) -> dict[str, float | None]:
    """The median of several runs and their spread (lowest, highest)."""
    if not values:
        return {"median": None, "low": None, "high": None}
    return {"median": statistics.median(values), "low": min(values), "high": max(values)}


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Under bench/results/ (BENCH_RESULTS names another directory), one file a run."""
    directory = Path(os.environ.get("BENCH_RESULTS", Path(__file__).parent / "results"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    return path


def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [header, *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    )


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
