"""The sandbox page: an aiohttp application serving the page, the JSON calls its script makes
(what a chat holds; writing, sending a photo, an album, a location or one's own contact,
pressing a button as one of the fake's users; adding a resident; moving the clock) and the
fake's feed of changes as server-sent events."""

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.fake_telegram import FakeUser
from bot.sandbox.texts import page_texts
from bot.sandbox.world import SandboxWorld, phone_of
from bot.text.catalogs import LANGUAGE_NAMES, LOCALES, Catalogs, telegram_language

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
KEEPALIVE_SECONDS = 15  # a comment line this often keeps proxies and browsers from giving up
MOVES = {"day": timedelta(days=1), "week": timedelta(weeks=1)}
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit on a photo
# The calls that send a form (the photos' files); every other one sends JSON.
FORM_CALLS = {"/api/chats/{chat_id}/photos", "/api/chats/{chat_id}/albums"}
ALBUM_SIZE = 10  # photos the app sends as one album at most


@dataclass
class SandboxClock:
    """The application's clock, as the page reads and moves it."""

    now: Callable[[], datetime]
    advance: Callable[[timedelta], None]
    timezone: str


@dataclass(frozen=True)
class PanelAccess:
    """Where the staff panel is, and the administrator account made for the sandbox."""

    url: str
    login: str
    password: str


class Refused(Exception):
    """A visitor's action the fake world does not allow (the reason, in the fake's words)."""


def build_page(
    world: SandboxWorld,
    clock: SandboxClock,
    catalogs: Catalogs,
    panel: PanelAccess | None = None,
) -> web.Application:
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape()
    )
    page = _Page(world, clock, catalogs, templates, panel)
    app = web.Application(
        client_max_size=MAX_PHOTO_BYTES + 64 * 1024, middlewares=[page.only_the_page_acts]
    )
    app.router.add_get("/", page.index)
    app.router.add_get("/api/world", page.world_state)
    app.router.add_get("/api/chats/{chat_id}", page.chat_state)
    app.router.add_post("/api/chats/{chat_id}/messages", page.send_message)
    app.router.add_post("/api/chats/{chat_id}/photos", page.send_photo)
    app.router.add_post("/api/chats/{chat_id}/albums", page.send_album)
    app.router.add_post("/api/chats/{chat_id}/contacts", page.share_contact)
    app.router.add_post("/api/chats/{chat_id}/locations", page.send_location)
    app.router.add_post("/api/chats/{chat_id}/presses", page.press)
    app.router.add_post("/api/residents", page.add_resident)
    app.router.add_post("/api/clock", page.move_clock)
    app.router.add_get("/api/events", page.events)
    app.router.add_get("/files/{file_id}", page.file)
    app.router.add_static("/static", HERE / "static")
    return app


class _Page:
    def __init__(
        self,
        world: SandboxWorld,
        clock: SandboxClock,
        catalogs: Catalogs,
        templates: Environment,
        panel: PanelAccess | None,
    ) -> None:
        self.panel = panel
        self.world = world
        self.fake = world.fake
        self.clock = clock
        self.catalogs = catalogs
        self.templates = templates
        # Each run of the sandbox has its own: the feed's numbers start again at 1 after a
        # restart, so a page that learns of another run reloads instead of waiting forever.
        self.run = secrets.token_hex(8)

    @web.middleware
    async def only_the_page_acts(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Other websites open in the visitor's browser may not act in the sandbox: a call that
        changes something must come from the page's own origin (browsers name the origin of a
        cross-site call) and, but for the photo's form, be JSON, which a cross-site form cannot
        send without asking first (CORS preflight)."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return await handler(request)
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return self._refused(request, "failed", status=403, reason="Origin")
        route = request.match_info.route.resource
        form_call = route is not None and route.canonical in FORM_CALLS
        if not form_call and request.content_type != "application/json":
            return self._refused(
                request, "failed", status=415, reason="Content-Type: application/json"
            )
        return await handler(request)

    # --- the page ---

    async def index(self, request: web.Request) -> web.Response:
        locale = request.query.get("lang")
        if locale not in LOCALES:
            locale = self.catalogs.default_locale
        texts = page_texts(self.catalogs.get(locale))
        html = self.templates.get_template("index.html").render(
            locale=locale,
            html_lang="zh-Hans" if locale == "zh_Hans" else "en",
            texts=texts,
            languages=[(code, LANGUAGE_NAMES[code]) for code in LOCALES],
            panel=self.panel,
            # "</" escaped, so no text in the table can end the script element it sits in
            boot=json.dumps({"texts": texts, **self._world(locale)}, ensure_ascii=False).replace(
                "</", "<\\/"
            ),
        )
        return web.Response(text=html, content_type="text/html")

    async def world_state(self, request: web.Request) -> web.Response:
        return web.json_response(self._world(request.query.get("lang")))

    def _world(self, locale: str | None = None) -> dict[str, Any]:
        return {
            "residents": [_person(user) for user in self.world.residents],
            "groups": [
                {
                    "id": chat.id,
                    "title": chat.title,
                    "is_forum": chat.is_forum,
                    "members": [_person(user) for user in chat.members.values()],
                }
                for chat in self.world.groups
            ],
            "places": [
                {
                    "name": place.name or texts_in(self.catalogs, locale)["at_sea"],
                    "latitude": place.latitude,
                    "longitude": place.longitude,
                }
                for place in self.world.places
            ],
            "bot_id": self.fake.bot.id,
            "run": self.run,
            "timezone": self.clock.timezone,
            "clock": self._clock(locale),
        }

    def _clock(self, locale: str | None = None) -> dict[str, str]:
        """The sandbox's time in its time zone, with the day of the week (deadlines count
        working days)."""
        local = self.clock.now().astimezone(ZoneInfo(self.clock.timezone))
        shown = format_datetime(local, "yyyy-MM-dd HH:mm EEEE", locale=locale or "zh_Hans")
        return {"iso": local.isoformat(), "shown": shown}

    async def chat_state(self, request: web.Request) -> web.Response:
        chat_id = _chat_id(request)
        try:
            messages = self.fake.messages(chat_id)
        except KeyError:
            raise web.HTTPNotFound() from None
        return web.json_response(
            {
                "messages": messages,
                "topics": self.fake.topics(chat_id),
                "reply_keyboard": self.fake.reply_keyboard(chat_id),
                "number": self.fake.feed.last_number,
            }
        )

    # --- acting as a user ---

    async def send_message(self, request: web.Request) -> web.Response:
        body = await _json(request)
        text = str(body.get("text", "")).strip()
        if not text:
            return self._refused(request, "empty_message")
        return await self._act(
            request,
            lambda user, chat, where: user.send_text(text, chat, **where),
            body,
        )

    async def send_photo(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("photo")
        if not isinstance(upload, web.FileField):
            return self._refused(request, "empty_message")
        data = upload.file.read()
        caption = str(form.get("caption", "")).strip() or None
        return await self._act(
            request,
            lambda user, chat, where: user.send_photo(data, caption, chat, **where),
            dict(form),
        )

    async def send_album(self, request: web.Request) -> web.Response:
        """Several photos chosen at once go as one album, as the app sends them."""
        form = await request.post()
        photos = [f.file.read() for f in form.getall("photo", []) if isinstance(f, web.FileField)]
        if len(photos) < 2:
            return self._refused(request, "empty_message")
        if len(photos) > ALBUM_SIZE:
            return self._refused(request, "too_many_photos", limit=str(ALBUM_SIZE))
        caption = str(form.get("caption", "")).strip() or None
        items = [("photo", data) for data in photos]
        return await self._act(
            request, lambda user, chat, where: user.send_album(items, caption, chat), dict(form)
        )

    async def share_contact(self, request: web.Request) -> web.Response:
        """The resident shares their own phone number: with the bot's button when it offers
        one (request_contact), otherwise from the attachment menu."""
        body = await _json(request)

        async def sharing(user: FakeUser, chat: Any, where: dict[str, Any]) -> Any:
            asked = self.fake.reply_keyboard(user.id) or {}
            buttons = [b for row in asked.get("keyboard", []) for b in row]
            if any(isinstance(b, dict) and b.get("request_contact") for b in buttons):
                return await user.share_own_contact(phone_of(user))
            name = (user.first_name, user.last_name)
            return await user.send_contact(phone_of(user), *name, user_id=user.id)

        return await self._act(request, sharing, body)

    async def send_location(self, request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            latitude, longitude = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            return self._refused(request, "failed", reason="latitude, longitude")
        return await self._act(
            request,
            lambda user, chat, where: user.send_location(latitude, longitude, chat, **where),
            body,
        )

    async def press(self, request: web.Request) -> web.Response:
        body = await _json(request)
        chat_id = _chat_id(request)

        async def pressing(user: FakeUser, chat: Any, where: dict[str, Any]) -> Any:
            message = {"chat": {"id": chat_id}, "message_id": int(body["message_id"])}
            return {"query_id": await user.press(message, str(body["data"]))}

        return await self._act(request, pressing, body)

    async def _act(self, request: web.Request, action: Callable[..., Any], body: Any) -> Any:
        """Do what the visitor asked as the user they named, in the chat of the URL."""
        chat_id = _chat_id(request)
        try:
            user = self.fake.find_user(int(body["user_id"]))
            chat = None if chat_id == user.id else self.fake.chat(chat_id)
            where = {
                key: int(body[name])
                for key, name in (("reply_to", "reply_to"), ("message_thread_id", "thread_id"))
                if body.get(name) not in (None, "")
            }
            result = await action(user, chat, where)
        except (KeyError, ValueError, TypeError) as error:
            return self._refused(request, "failed", reason=str(error).strip("'\""))
        return web.json_response(result)

    def _refused(
        self, request: web.Request, key: str, status: int = 400, **values: str
    ) -> web.Response:
        """A polite refusal in the visitor's language, with the fake's reason when it gave one."""
        locale = request.headers.get("X-Sandbox-Locale")
        text = texts_in(self.catalogs, locale)[key].format(**values)
        return web.json_response({"error": text}, status=status)

    async def add_resident(self, request: web.Request) -> web.Response:
        body = await _json(request)
        name = str(body.get("name", "")).strip()
        if not name:
            return self._refused(request, "empty_name")
        locale = body.get("locale") if body.get("locale") in LOCALES else "zh_Hans"
        language_code = "zh-hans" if locale == "zh_Hans" else telegram_language(locale)
        user = self.world.add_resident(name, None, language_code)
        return web.json_response(_person(user))

    async def move_clock(self, request: web.Request) -> web.Response:
        body = await _json(request)
        move = MOVES.get(str(body.get("by")))
        if move is None:
            return self._refused(request, "failed", reason=", ".join(MOVES))
        self.clock.advance(move)
        log.info("sandbox clock moved ahead by %s; it now reads %s", move, self.clock.now())
        locale = body.get("locale") if body.get("locale") in LOCALES else None
        return web.json_response(self._clock(locale))

    # --- following the world ---

    async def events(self, request: web.Request) -> web.StreamResponse:
        """The fake's changes after the number the page has seen, as server-sent events; a
        browser that reconnects says where it was in Last-Event-ID. Each connection begins with
        the sandbox's run (event ``run``): a page of an earlier run reloads."""
        seen = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
        number = int(seen) if seen.isdigit() else 0
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            await response.write(f"event: run\ndata: {self.run}\n\n".encode())
            while True:
                changes = await self.fake.feed.wait_since(number, KEEPALIVE_SECONDS)
                if not changes:
                    await response.write(f": clock {self._clock()['iso']}\n\n".encode())
                for change in changes:
                    data = json.dumps(change.as_dict(), ensure_ascii=False)
                    await response.write(f"id: {change.number}\ndata: {data}\n\n".encode())
                    number = change.number
        except ConnectionResetError:
            pass  # the page was closed or reloaded
        return response

    async def file(self, request: web.Request) -> web.Response:
        found = self.fake.file(request.match_info["file_id"])
        if found is None:
            raise web.HTTPNotFound()
        data, content_type = found
        return web.Response(body=data, content_type=content_type)


def texts_in(catalogs: Catalogs, locale: str | None) -> dict[str, str]:
    return page_texts(catalogs.get(locale))


async def _json(request: web.Request) -> dict[str, Any]:
    """The call's JSON object; anything else counts as empty, and is refused politely."""
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _person(user: FakeUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language_code": user.language_code,
    }


def _chat_id(request: web.Request) -> int:
    try:
        return int(request.match_info["chat_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
