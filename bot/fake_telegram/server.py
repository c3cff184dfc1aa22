"""FakeTelegram: Telegram for one bot, in memory, served over HTTP.

This module is the server and the test-facing API: setting up the world (the bot, users,
groups), looking at it (messages, updates), steering it (injected failures, redelivery) and
waiting for it. Each call is authorized, checked against the spec, possibly failed on purpose,
handed to its handler in ``methods/`` and its answer checked against the spec again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import ClientSession, web

from bot.fake_telegram.errors import TelegramError, bad_request
from bot.fake_telegram.feed import Feed
from bot.fake_telegram.files import FileStore
from bot.fake_telegram.flood import COUNTED, FloodControl, Limits
from bot.fake_telegram.methods import HANDLERS
from bot.fake_telegram.objects import Json, without_none
from bot.fake_telegram.requests import MAX_UPLOAD_BYTES, request_params
from bot.fake_telegram.spec import SpecViolation, checked_params, load_spec
from bot.fake_telegram.updates import QueuedUpdate, Webhook
from bot.fake_telegram.users import FakeUser
from bot.fake_telegram.views import WorldViews
from bot.fake_telegram.world import BotAccount, CallbackAnswer, FakeChat, RecordedRequest

TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")  # bot id, a colon, the secret


@dataclass
class _Slowness:
    """A delay slow_down() queued: before answering `method` (to `chat_id` if set), `times`
    times (None: until cleared)."""

    method: str
    seconds: float
    times: int | None
    chat_id: int | str | None


@dataclass
class _Failure:
    """A refusal fail_next() queued: for `times` calls of `method` (to `chat_id` if set)."""

    method: str
    error: TelegramError
    times: int
    chat_id: int | str | None


def _not_found() -> web.Response:
    return web.json_response(TelegramError(404, "Not Found").body(), status=404)


async def _unknown_path(request: web.Request) -> web.Response:
    return _not_found()


class FakeTelegram(WorldViews):
    """Telegram for one bot, in memory, served over HTTP by `app`.

    Tests use its public methods and attributes. The underscored attributes are the state of
    the world, shared with the rest of this package: the method handlers, the users and the
    update queue read and change them."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        webhook_retry_delay: float = 0.1,
    ) -> None:
        self.spec = load_spec()
        self.clock = clock  # seconds since the epoch: pass the application's clock to share it
        self.feed = Feed()  # every change, for a client to follow (see feed.py)
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_errors = 0  # webhook deliveries not answered 2xx (each retried)
        self.requests: list[RecordedRequest] = []
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self._bot: BotAccount | None = None
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, FakeChat] = {}
        self._files = FileStore()
        self._update_ids = itertools.count(1)
        self._query_numbers = itertools.count(1)
        self._media_groups = itertools.count(1)
        self._queries: dict[str, float] = {}  # unanswered callback query id -> when pressed
        self._pending: list[QueuedUpdate] = []
        self._history: dict[int, Json] = {}  # every update ever made, for redelivery
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._webhook: Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._http: ClientSession | None = None
        self._commands: dict[tuple[str, str], list[Json]] = {}
        self._failures: list[_Failure] = []
        self._slowness: list[_Slowness] = []
        self.flood: FloodControl | None = None  # Telegram's limits, when a test enforces them
        self.privacy_mode = True  # BotFather's /setprivacy: groups show the bot only some
        self._change = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        for verb in ("GET", "POST"):
            self.app.router.add_route(verb, "/bot{token}/{method}", self._handle_api)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self.app.router.add_route("*", "/{tail:.*}", _unknown_path)
        self.app.on_shutdown.append(self._on_shutdown)
        self.app.on_cleanup.append(self._on_cleanup)

    # --- setting up the world ---

    @property
    def bot(self) -> BotAccount:
        if self._bot is None:
            raise RuntimeError("call add_bot() first")
        return self._bot

    def add_bot(self, token: str, username: str, first_name: str = "Test Bot") -> BotAccount:
        if self._bot is not None:
            raise ValueError("a FakeTelegram serves one bot; make another one for a second bot")
        if not TOKEN.fullmatch(token):
            raise ValueError(f"{token!r} does not look like a Telegram token (123456:ABC-DEF...)")
        self._bot = BotAccount(token, username, first_name)
        return self._bot

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        *,
        started: bool = True,
    ) -> FakeUser:
        """A user with a private chat with the bot (id == user id); started=False means the
        user never opened it, so the bot can't write first."""
        if user_id <= 0 or user_id in self._users:
            raise ValueError(f"user id {user_id} must be positive and new")
        user = FakeUser(self, user_id, first_name, last_name, username, language_code, started)
        self._users[user_id] = user
        self._chats[user_id] = FakeChat(user_id, "private", user=user)
        return user

    def group(
        self,
        chat_id: int,
        title: str,
        members: Sequence[FakeUser] = (),
        *,
        is_forum: bool = False,
    ) -> FakeChat:
        """A supergroup with these members; the bot is an administrator in it."""
        if chat_id >= 0 or chat_id in self._chats:
            raise ValueError(f"group id {chat_id} must be negative and new")
        members_by_id = {member.id: member for member in members}
        chat = FakeChat(chat_id, "supergroup", title, members=members_by_id, is_forum=is_forum)
        self._chats[chat_id] = chat
        return chat

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the Bot API on host:port (a free port by default); returns the base URL."""
        listener = socket.socket()
        listener.bind((host, port))
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, listener).start()
        return f"http://{host}:{listener.getsockname()[1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- waiting for the world (looking at it: views.py) ---

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until predicate() holds, re-checked whenever the fake's state changes."""
        if not await self._wait_until(predicate, timeout):
            raise TimeoutError(
                f"still false after {timeout}s; last requests:\n{self._describe_requests()}"
            )

    # --- steering the world ---

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Refuse the next `times` calls of `method` (only those to `chat_id` if given)."""
        name = self.spec.method_name(method)
        if name is None:
            raise ValueError(f"{method!r} is not a Bot API method")
        if error_code == 429 and retry_after is None:
            raise ValueError("Telegram always says when to retry a 429: give retry_after")
        if description is None and error_code == 429:
            description = f"Too Many Requests: retry after {retry_after}"
        parameters = without_none(
            {"retry_after": retry_after, "migrate_to_chat_id": migrate_to_chat_id}
        )
        error = TelegramError(
            error_code, description or HTTPStatus(error_code).phrase, parameters or None
        )
        self._failures.append(_Failure(name, error, times, chat_id))

    def enforce_limits(self, limits: Limits | None = None) -> FloodControl:
        """Refuse messages over Telegram's limits with 429 and `retry_after`, as Telegram does
        (scaled down by the test if it likes); `fake.flood` counts refusals and keeps when
        each chat received its messages."""
        self.flood = FloodControl(limits or Limits(), self.clock)
        return self.flood

    def slow_down(
        self,
        method: str,
        seconds: float,
        *,
        chat_id: int | str | None = None,
        times: int | None = None,
    ) -> None:
        """Answer `method` (to `chat_id` if given) only after `seconds`, `times` times (None:
        every time). A client that gives up waiting has its call dropped unprocessed, as when
        Telegram's front end never got to it."""
        name = self.spec.method_name(method)
        if name is None:
            raise ValueError(f"{method!r} is not a Bot API method")
        self._slowness.append(_Slowness(name, seconds, times, chat_id))

    def redeliver(self, update_id: int) -> None:
        """Queue a delivered update again with the same update_id, as Telegram does when unsure
        the bot got it: it is handed out once more even past an offset already confirmed."""
        update = self._history.get(update_id)
        if update is None:
            raise KeyError(f"no update {update_id}")
        self._pending = [queued for queued in self._pending if queued.update_id != update_id]
        self._pending.append(QueuedUpdate(update, redelivery=True))
        self._pending.sort(key=lambda queued: queued.update_id)
        self._state_changed()

    # --- HTTP ---

    async def _handle_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        try:
            params = await request_params(request)
        except TelegramError as error:
            self.requests.append(RecordedRequest(name, {}, error.code, error.description))
            return web.json_response(error.body(), status=error.code)
        delay = self._take_delay(name, params)
        if delay:
            await asyncio.sleep(delay)
            if request.transport is None or request.transport.is_closing():
                self.requests.append(RecordedRequest(name, params, 499, "client went away"))
                self._state_changed()
                return web.Response(status=499)
        status, body = await self._dispatch(request.match_info["token"], name, params)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._authorize(request.match_info["token"])
        except TelegramError as error:
            return web.json_response(error.body(), status=error.code)
        stored = self._files.by_path.get(request.match_info["path"])
        if stored is None:
            return _not_found()
        content_type = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type)

    async def _dispatch(self, token: str, name: str, params: Json) -> tuple[int, Json]:
        """Run and record one Bot API call; every answer, good or bad, comes from here."""
        record = RecordedRequest(self.spec.method_name(name) or name, params)
        self.requests.append(record)
        try:
            body: Json = {"ok": True, "result": await self._call(token, record)}
            status = 200
        except TelegramError as error:
            body, status = error.body(), error.code
            record.description = error.description
        record.status = status
        self._state_changed()
        return status, body

    async def _call(self, token: str, record: RecordedRequest) -> Any:
        self._authorize(token)
        method = self.spec.method_name(record.method)
        if method is None:
            raise TelegramError(404, "Not Found")
        if (failure := self._take_failure(method, record.params)) is not None:
            raise failure
        if self.flood is not None and method in COUNTED:
            with contextlib.suppress(KeyError, ValueError, TypeError):
                chat_id = int(record.params["chat_id"])  # not "@channel", not inline messages
                self.flood.admit(chat_id)
        record.params = checked_params(self.spec, method, record.params)
        handler = HANDLERS.get(method)
        if handler is None:
            raise bad_request("method is not supported by the fake")
        result = await handler(self, record.params)
        self._check_answer(method, result)
        return result

    def _authorize(self, token: str) -> None:
        if not TOKEN.fullmatch(token):
            raise TelegramError(404, "Not Found")  # Telegram routes nothing that is not a token
        if self._bot is None or token != self._bot.token:
            raise TelegramError(401, "Unauthorized")

    def _take_failure(self, method: str, params: Json) -> TelegramError | None:
        chat_id = str(params.get("chat_id"))
        for failure in self._failures:
            chat_matches = failure.chat_id is None or str(failure.chat_id) == chat_id
            if failure.method == method and chat_matches:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure.error
        return None

    def _take_delay(self, name: str, params: Json) -> float:
        method = self.spec.method_name(name)
        chat_id = str(params.get("chat_id"))
        for slowness in self._slowness:
            chat_matches = slowness.chat_id is None or str(slowness.chat_id) == chat_id
            if slowness.method == method and chat_matches:
                if slowness.times is not None:
                    slowness.times -= 1
                    if slowness.times <= 0:
                        self._slowness.remove(slowness)
                return slowness.seconds
        return 0.0

    def _check_answer(self, method: str, result: Any) -> None:
        """Self-check: an answer lacking what the spec promises is a bug of the fake."""
        try:
            self.spec.conform(result, self.spec.methods[method]["returns"], method, lenient=False)
        except SpecViolation as violation:
            raise TelegramError(
                500,
                f"Internal Server Error: the fake's {method} answer breaks the spec: {violation}",
            ) from violation

    async def _on_shutdown(self, app: web.Application) -> None:
        self._stopping = True  # long polls and the webhook pusher end now
        self._state_changed()

    async def _on_cleanup(self, app: web.Application) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    # --- state changes and waiting ---

    def _state_changed(self) -> None:
        # Wake every waiter; each re-checks its own condition on a fresh event.
        self._change.set()
        self._change = asyncio.Event()

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """True once predicate() holds, False if `timeout` seconds pass first."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._change.wait()
        except TimeoutError:
            return False
        return True

    def _describe_requests(self, last: int = 10) -> str:
        lines = [
            f"  {r.method} -> {r.status} {r.description or ''} {str(r.params)[:200]}"
            for r in self.requests[-last:]
        ]
        return "\n".join(lines) or "  (none)"

    def _now(self) -> int:
        return int(self.clock())
