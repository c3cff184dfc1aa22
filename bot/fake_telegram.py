"""A fake Telegram Bot API server for tests and offline runs.

It speaks the real HTTP protocol (aiohttp), so the real aiogram client can be pointed at it with
``AiohttpSession(api=TelegramAPIServer.from_base(base_url))``. Requests are checked against the
official Bot API spec in ``bot/data/telegram-bot-api.json`` and refused with Telegram's own
wording; all state lives in memory. The implemented methods are the keys of ``HANDLERS`` at the
end of this module: to add one, write an ``async def _method(self, p)`` on ``FakeTelegram`` and
register it there.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import mimetypes
import re
import socket
import struct
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import (
    BodyPartReader,
    ClientError,
    ClientResponse,
    ClientSession,
    ClientTimeout,
    MultipartReader,
    hdrs,
    web,
)

Json = dict[str, Any]

TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")  # bot id, a colon, the secret
TEXT_LIMIT = 4096  # UTF-16 code units of a message text after entity parsing
CAPTION_LIMIT = 1024  # the same, for media captions
CALLBACK_DATA_LIMIT = 64  # bytes of callback_data on an inline button
CALLBACK_TEXT_LIMIT = 200  # characters of an answerCallbackQuery notification
CALLBACK_ANSWER_WINDOW = 15.0  # seconds a callback query stays answerable
DELETE_WINDOW = 48 * 3600  # seconds after which a message can't be deleted for everyone
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # what bots may upload
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # what getFile lets bots download
WEBHOOK_TIMEOUT = ClientTimeout(total=10)  # a webhook that hangs counts as a failed delivery
DEFAULT_TOPIC_COLOR = 0x6FB9F0  # the first icon color Telegram offers for topics

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


# --- errors -------------------------------------------------------------------------------


class TelegramError(Exception):
    """A refusal worded as Telegram words it; the request handler turns it into the reply."""

    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> Json:
        body: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> TelegramError:
    return TelegramError(403, f"Forbidden: {detail}")


# --- the official API as data -------------------------------------------------------------

SCALARS = frozenset({"Integer", "Float", "String", "Boolean", "True", "InputFile"})
INTEGER = re.compile(r"\s*[-+]?\d+\s*")
FLOAT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
TRUE_WORDS = frozenset({"true", "True", "1"})
FALSE_WORDS = frozenset({"false", "False", "0"})


class SpecViolation(ValueError):
    """A value that does not have the shape the Bot API spec gives its type."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ApiSpec:
    """The official Bot API description: method fields, return types and object types."""

    def __init__(self, raw: Json) -> None:
        self.version: str = raw["version"]
        self.methods: dict[str, Json] = raw["methods"]
        self.types: dict[str, Json] = raw["types"]
        self._by_lower = {name.lower(): name for name in self.methods}

    def method_name(self, name: str) -> str | None:
        """The spec's spelling; Telegram matches method names case-insensitively."""
        return self._by_lower.get(name.lower())

    def conform(self, value: Any, types: Sequence[str], path: str, *, lenient: bool) -> Any:
        """`value` as the first of `types` it fits; unknown object fields are dropped, as
        Telegram ignores them. Lenient reads numbers and booleans from the strings a form sends;
        strict does not, and refuses nulls, to check what the fake itself answers."""
        problems: list[SpecViolation] = []
        for type_name in types:
            try:
                return self._conform_one(value, type_name, path, lenient)
            except SpecViolation as problem:
                problems.append(problem)
        deepest = max(problems, key=lambda problem: len(problem.path))
        if deepest.path == path and len(types) > 1:
            # No alternative got inside the value: name them all rather than the first.
            raise SpecViolation(path, f"must be of type {' or '.join(types)}")
        raise deepest

    def _conform_one(self, value: Any, type_name: str, path: str, lenient: bool) -> Any:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise SpecViolation(path, f"must be of type {type_name}")
            item_type = type_name.removeprefix("Array of ")
            return [
                self._conform_one(item, item_type, f"{path}[{index}]", lenient)
                for index, item in enumerate(value)
            ]
        if type_name in SCALARS:
            return _conform_scalar(value, type_name, path, lenient)
        return self._conform_object(value, type_name, path, lenient)

    def _conform_object(self, value: Any, type_name: str, path: str, lenient: bool) -> Json:
        spec = self.types[type_name]
        if not isinstance(value, dict):
            raise SpecViolation(path, f"must be of type {type_name}")
        if subtypes := spec.get("subtypes"):
            chosen: Json = self.conform(
                value, _likely_subtypes(value, subtypes), path, lenient=lenient
            )
            return chosen
        result: Json = {}
        for field_spec in spec["fields"]:
            name = field_spec["name"]
            if value.get(name) is not None:
                where = f"{path}.{name}"
                result[name] = self.conform(
                    value[name], field_spec["types"], where, lenient=lenient
                )
            elif not lenient and name in value:
                raise SpecViolation(f"{path}.{name}", "is null")
            elif field_spec["required"]:
                raise SpecViolation(path, f'Can\'t find field "{name}" of {type_name}')
        return result


def _likely_subtypes(value: Json, subtypes: list[str]) -> list[str]:
    # The spec names subtypes but not their tags: type "chat_member" picks ...ScopeChatMember.
    tag = str(value.get("type") or value.get("status") or "").replace("_", "").lower()
    named = [name for name in subtypes if tag and name.lower().endswith(tag)]
    return named or subtypes


def _conform_scalar(value: Any, type_name: str, path: str, lenient: bool) -> Any:
    form = value if lenient and isinstance(value, str) else None  # form fields are strings
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Integer":
        if is_int:
            return value
        if form is not None and INTEGER.fullmatch(form):
            return int(form)
    elif type_name == "Float":
        if is_int or isinstance(value, float):
            return value
        if form is not None and FLOAT.fullmatch(form):
            return float(form)
    elif type_name in ("Boolean", "True"):
        flag = value if isinstance(value, bool) else _form_flag(form)
        if flag is True or (flag is False and type_name == "Boolean"):
            return flag
    elif type_name == "String":
        if isinstance(value, str):
            return value
        if lenient and is_int:
            return str(value)
    elif isinstance(value, UploadedFile):  # InputFile
        return value
    raise SpecViolation(path, f"must be of type {type_name}")


def _form_flag(form: str | None) -> bool | None:
    if form in TRUE_WORDS:
        return True
    if form in FALSE_WORDS:
        return False
    return None


@cache
def load_spec() -> ApiSpec:
    """The Bot API spec shipped with the bot, read once."""
    path = Path(__file__).with_name("data") / "telegram-bot-api.json"
    return ApiSpec(json.loads(path.read_text(encoding="utf-8")))


def check_object(value: Any, type_name: str) -> None:
    """Raise SpecViolation unless `value` has what the spec promises for `type_name` (e.g.
    "Message", "Array of Update"): its required fields, with values of the right types. Fields
    the spec does not know pass: clients may follow a newer Bot API than the spec file."""
    load_spec().conform(value, [type_name], type_name, lenient=False)


# --- text, entities and Telegram's HTML ----------------------------------------------------

SPACES = frozenset(" \t\r\n\v\f")
HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Telegram's order for entities on the same span: the enclosing kinds first.
ENTITY_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
}
NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}  # all that Telegram knows
COMMAND_IN_TEXT = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: how Telegram counts entity offsets and text limits."""
    return len(text.encode("utf-16-le")) // 2


def _html_character(source: str, start: int) -> tuple[str, int] | None:
    """The character an HTML entity at `start` stands for and where it ends; None keeps the
    "&" as a plain character, as Telegram does with entities it does not know."""
    end = start + 1
    if source.startswith("#", end):
        hexadecimal = source.startswith("x", end + 1)
        end += 2 if hexadecimal else 1
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        first_digit = end
        while end < len(source) and source[end] in digits:
            end += 1
        number = source[first_digit:end]
        code = int(number, 16 if hexadecimal else 10) if number else 0
        if not 0 < code < 0x10FFFF or 0xD800 <= code <= 0xDFFF or end - start >= 10:
            return None
        character = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        named = NAMED_CHARACTERS.get(source[start + 1 : end])
        if named is None:
            return None
        character = named
    return character, end + 1 if source.startswith(";", end) else end


def _tag_argument(tag: str, attribute: str, value: str) -> str | None:
    """What an attribute adds to an entity: a link, a code language, a spoiler class."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return None


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the plain text where the entity starts
    text_index: int  # characters of plain text before it, for <a> without href


class _HtmlReader:
    """Telegram's HTML dialect, read the way the Bot API server reads it, so mistakes it refuses
    (an unescaped "<", an unknown or unclosed tag) are refused here with the same words."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.text: list[str] = []
        self.length = 0  # UTF-16 units of plain text so far
        self.open: list[_OpenTag] = []
        self.entities: list[Json] = []

    def read(self) -> tuple[str, list[Json]]:
        while self.pos < len(self.source):
            if self.source.startswith("</", self.pos):
                self._end_tag()
            elif self.source[self.pos] == "<":
                self._start_tag()
            elif self.source[self.pos] == "&" and (found := _html_character(self.source, self.pos)):
                self._append(found[0])
                self.pos = found[1]
            else:
                self._append(self.source[self.pos])
                self.pos += 1
        if self.open:
            name = self.open[-1].name
            raise self._error(f'Can\'t find end tag corresponding to start tag "{name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # only a <pre> keeps the language of its <code>
        return "".join(self.text), self.entities

    def _append(self, character: str) -> None:
        self.text.append(character)
        self.length += utf16_len(character)

    def _error(self, problem: str) -> TelegramError:
        return bad_request(f"can't parse entities: {problem}")

    def _char(self, index: int) -> str:
        return self.source[index] if index < len(self.source) else ""

    def _skip(self, index: int, stop: Callable[[str], bool]) -> int:
        """The first index from `index` whose character satisfies `stop`, or the end."""
        while index < len(self.source) and not stop(self.source[index]):
            index += 1
        return index

    def _skip_spaces(self, index: int) -> int:
        return self._skip(index, lambda char: char not in SPACES)

    def _start_tag(self) -> None:
        begin = self.pos
        at = len(self.source[:begin].encode("utf-8"))  # Telegram reports byte offsets
        end = self._skip(begin + 1, lambda char: char in SPACES or char == ">")
        if end == len(self.source):
            raise self._error(f"Unclosed start tag at byte offset {at}")
        name = self.source[begin + 1 : end].lower()
        if name not in HTML_ENTITY_TYPES:
            raise self._error(f'Unsupported start tag "{name}" at byte offset {at}')
        argument, self.pos = self._attributes(name, at, end)
        if name == "span" and argument != "spoiler":
            raise self._error(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.open.append(_OpenTag(name, argument, self.length, len(self.text)))

    def _attributes(self, tag: str, at: int, index: int) -> tuple[str, int]:
        """The tag's argument and the index after its ">"."""
        argument = ""
        while True:
            index = self._skip_spaces(index)
            if self._char(index) == ">":
                return argument, index + 1
            if self._char(index) == "":
                raise self._error(f"Unclosed start tag at byte offset {at}")
            name_start = index
            index = self._skip(index, lambda char: char in SPACES or char in "=>")
            attribute = self.source[name_start:index]
            if not attribute:
                raise self._error(f'Empty attribute name in the tag "{tag}" at byte offset {at}')
            index = self._skip_spaces(index)
            if self._char(index) != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise self._error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {at}'
                )
            index = self._skip_spaces(index + 1)
            if self._char(index) == "":
                raise self._error(f'Unclosed start tag "{tag}" at byte offset {at}')
            value, index = self._attribute_value(index)
            if self._char(index) == "":
                raise self._error(f"Unclosed start tag at byte offset {at}")
            if (found := _tag_argument(tag, attribute, value)) is not None:
                argument = found

    def _attribute_value(self, index: int) -> tuple[str, int]:
        quote = self.source[index]
        if quote not in "'\"":
            # An unquoted value is a name token: letters, digits, periods, hyphens.
            start = index
            index = self._skip(index, lambda char: not (char.isalnum() or char in ".-"))
            if self._char(index) not in SPACES and self._char(index) not in (">", ""):
                offset = len(self.source[:start].encode("utf-8"))
                raise self._error(f"Unexpected end of name token at byte offset {offset}")
            return self.source[start:index].lower(), index
        characters: list[str] = []
        index += 1
        while index < len(self.source) and self.source[index] != quote:
            if self.source[index] == "&" and (found := _html_character(self.source, index)):
                characters.append(found[0])
                index = found[1]
            else:
                characters.append(self.source[index])
                index += 1
        return "".join(characters), index + 1 if self._char(index) == quote else index

    def _end_tag(self) -> None:
        begin = self.pos
        at = len(self.source[:begin].encode("utf-8"))
        if not self.open:
            raise self._error(f"Unexpected end tag at byte offset {at}")
        end = self._skip(begin + 2, lambda char: char in SPACES or char == ">")
        name = self.source[begin + 2 : end].lower()
        end = self._skip_spaces(end)
        if self._char(end) != ">":
            raise self._error(f"Unclosed end tag at byte offset {at}")
        tag = self.open.pop()
        if name and name != tag.name:
            raise self._error(
                f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.pos = end + 1
        if self.length > tag.offset:
            self._add_entity(tag)

    def _add_entity(self, tag: _OpenTag) -> None:
        entity: Json = {
            "type": HTML_ENTITY_TYPES[tag.name],
            "offset": tag.offset,
            "length": self.length - tag.offset,
        }
        last = self.entities[-1] if self.entities else None
        if last is not None and (last["offset"], last["length"]) == (tag.offset, entity["length"]):
            # <pre><code class="language-x">...</code></pre> makes one pre entity.
            if tag.name == "pre" and last["type"] == "code":
                last["type"] = "pre"
                return
            if tag.name == "code" and last["type"] == "pre":
                if tag.argument:
                    last["language"] = tag.argument
                return
        if tag.name == "a":
            entity["url"] = tag.argument or "".join(self.text[tag.text_index :])
        elif tag.name == "code" and tag.argument:
            entity["language"] = tag.argument
        elif tag.name == "blockquote" and tag.argument:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        self.entities.append(entity)


def formatted(
    text: str, parse_mode: str | None, entities: list[Json] | None
) -> tuple[str, list[Json]]:
    """Plain text and entities as Telegram stores them: parsed, trimmed, offsets in UTF-16."""
    if entities:
        plain, found = text, entities  # explicit entities win over parse_mode, as in Telegram
    elif not parse_mode:
        plain, found = text, []
    elif parse_mode.lower() == "html":
        plain, found = _HtmlReader(text).read()
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        raise bad_request(f"parse_mode {parse_mode} is not supported by the fake")
    else:
        raise bad_request("unsupported parse_mode")
    body, kept = _trimmed(plain, found)
    return body, sorted(kept, key=_entity_order)


def _entity_order(entity: Json) -> tuple[int, int, int]:
    return entity["offset"], -entity["length"], ENTITY_PRIORITY.get(entity["type"], 50)


def _trimmed(text: str, entities: list[Json]) -> tuple[str, list[Json]]:
    # Telegram drops leading and trailing whitespace and clips the entities to what is left.
    spaces = "".join(SPACES)
    lead = utf16_len(text[: len(text) - len(text.lstrip(spaces))])
    body = text.strip(spaces)
    end = utf16_len(body)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        stop = min(entity["offset"] + entity["length"] - lead, end)
        if stop > start:
            clipped.append({**entity, "offset": start, "length": stop - start})
    return body, clipped


def _check_text(text: str) -> None:
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")


def _caption(p: Json) -> Json:
    """The caption fields of a media message, checked as Telegram checks them."""
    caption, entities = formatted(
        p.get("caption", ""), p.get("parse_mode"), p.get("caption_entities")
    )
    if utf16_len(caption) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return {"caption": caption, **_entities("caption_entities", entities)} if caption else {}


def _entities(key: str, entities: list[Json]) -> Json:
    return {key: entities} if entities else {}


def _command_entities(text: str) -> list[Json]:
    # Telegram marks the /commands in what users write.
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match[0]),
        }
        for match in COMMAND_IN_TEXT.finditer(text)
    ]


def _without_none(values: Json) -> Json:
    return {key: value for key, value in values.items() if value is not None}


# --- reading requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a part of a multipart request."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


async def request_params(request: web.Request) -> Json:
    """Query string and body (form, JSON or multipart) as one dict of parameters."""
    params: Json = dict(request.query)
    try:
        if request.content_type.startswith("multipart/"):
            params.update(await _multipart_params(await request.multipart()))
        elif request.body_exists:
            params.update(_body_params(request.content_type, await request.read()))
    except web.HTTPRequestEntityTooLarge as error:
        raise TelegramError(413, "Request Entity Too Large") from error
    return params


async def _response_params(response: ClientResponse) -> Json:
    """The method call a webhook may put in its response, read like a request."""
    if response.content_type.startswith("multipart/"):
        return await _multipart_params(MultipartReader(response.headers, response.content))
    return _body_params(response.content_type, await response.read())


async def _multipart_params(reader: MultipartReader) -> Json:
    params: Json = {}
    size = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue  # nested or nameless parts carry no parameter
        data = await part.read(decode=True)
        size += len(data)
        if size > MAX_UPLOAD_BYTES:
            raise TelegramError(413, "Request Entity Too Large")
        if part.filename is None:
            params[part.name] = _utf8(data)
        else:
            content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
            params[part.name] = UploadedFile(part.filename, content_type, data)
    return params


def _body_params(content_type: str, raw: bytes) -> Json:
    if content_type == "application/json":
        try:
            params = json.loads(raw or b"{}")
        except ValueError as error:
            raise bad_request("can't parse JSON request body") from error
        if not isinstance(params, dict):
            raise bad_request("can't parse JSON request body")
        return params
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(_utf8(raw), keep_blank_values=True))
    return {}


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request("strings must be encoded in UTF-8") from error


# Telegram's words for a missing parameter, where they differ from "<name> is required".
MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
}
# How Telegram names a parameter in "can't parse ... JSON object".
JSON_NAMES = {
    "reply_markup": "reply keyboard markup",
    "reply_parameters": "reply parameters",
    "caption_entities": "entities",
}


def checked_params(spec: ApiSpec, method: str, params: Json) -> Json:
    """Params converted to the types the spec gives, or the refusal Telegram gives."""
    checked = dict(params)
    for field_spec in spec.methods[method]["fields"]:
        name = field_spec["name"]
        value = params.get(name)
        if value is None or value == "":
            checked.pop(name, None)  # Telegram treats an empty parameter as an absent one
            if field_spec["required"]:
                raise bad_request(MISSING.get(name, f"{name} is required"))
            continue
        checked[name] = _checked_param(spec, params, name, field_spec["types"], value)
    return checked


def _checked_param(spec: ApiSpec, params: Json, name: str, types: list[str], value: Any) -> Any:
    if "InputFile" in types and isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"))
        if not isinstance(value, UploadedFile):
            raise bad_request(f"there is no {name} in the request")
    if isinstance(value, str) and SCALARS.isdisjoint(types):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise bad_request(f"can't parse {JSON_NAMES.get(name, name)} JSON object") from error
    try:
        return spec.conform(value, types, name, lenient=True)
    except SpecViolation as violation:
        where = "" if violation.path == name else f" at {violation.path}"
        raise bad_request(f"can't parse {name}: {violation.problem}{where}") from violation


BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _inline_markup(markup: Json | None) -> Json | None:
    """The inline keyboard a message keeps (Telegram returns no other kind), its buttons
    checked as Telegram checks them."""
    if not markup or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            if not any(action in button for action in BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
    rows = [row for row in markup["inline_keyboard"] if row]
    return {"inline_keyboard": rows} if rows else None


# --- files --------------------------------------------------------------------------------

FILE_KINDS = {"photo": ("AgAC", ".jpg"), "document": ("BQAC", ""), "sticker": ("CAAC", ".webp")}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 <= len(data) and data[index] == 0xFF:
        marker = data[index + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + int.from_bytes(data[index + 2 : index + 4], "big")
    return None


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    """A valid white PNG, for tests that send photos."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    rows = b"".join(b"\x00" + b"\xff" * 3 * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class StoredFile:
    """A file Telegram keeps: what getFile describes and the download route serves."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def as_photo(self) -> list[Json]:
        width, height = image_size(self.data) or (0, 0)
        # One size only: the fake makes no thumbnails.
        return [{**self._ids(), "width": width, "height": height, "file_size": len(self.data)}]

    def as_document(self) -> Json:
        return _without_none(
            {
                **self._ids(),
                "file_name": self.file_name,
                "mime_type": self.mime_type,
                "file_size": len(self.data),
            }
        )

    def as_sticker(self, emoji: str) -> Json:
        return {
            **self._ids(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }

    def _ids(self) -> Json:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id}


# --- the world: bot, users, chats ---------------------------------------------------------


@dataclass(frozen=True)
class BotAccount:
    """The bot the fake serves; its id is the number before the colon of its token."""

    token: str
    username: str
    first_name: str

    @property
    def id(self) -> int:
        return int(self.token.split(":", 1)[0])

    def as_dict(self) -> Json:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass(eq=False)
class FakeUser:
    """A Telegram user; its methods are what the user does in the app."""

    fake: FakeTelegram = field(repr=False)
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = True  # has opened the private chat with the bot
    blocked_bot: bool = False

    def as_dict(self) -> Json:
        return _without_none(
            {
                "id": self.id,
                "is_bot": False,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )

    def private_chat_dict(self) -> Json:
        return _without_none(
            {
                "id": self.id,
                "type": "private",
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
            }
        )

    async def send_text(
        self,
        text: str,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        """Write a message (chat=None: the private chat with the bot); returns the Message."""
        content = {"text": text, **_entities("entities", _command_entities(text))}
        return self.fake._user_sends(self, chat, content, reply_to, message_thread_id)

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        if image_size(data) is None:
            raise ValueError("send_photo needs PNG, GIF or JPEG bytes; tiny_png() makes some")
        photo = self.fake._store_file("photo", data, None, "image/jpeg")
        content = {"photo": photo.as_photo(), **_without_none({"caption": caption})}
        return self.fake._user_sends(self, chat, content, reply_to, message_thread_id)

    async def send_location(
        self,
        latitude: float,
        longitude: float,
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return self.fake._user_sends(self, chat, content, reply_to, message_thread_id)

    async def send_sticker(
        self,
        emoji: str = "👍",
        chat: FakeChat | None = None,
        *,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> Json:
        sticker = self.fake._store_file("sticker", tiny_png(), None, "image/webp")
        content = {"sticker": sticker.as_sticker(emoji)}
        return self.fake._user_sends(self, chat, content, reply_to, message_thread_id)

    async def press(self, message: Mapping[str, Any], callback_data: str) -> str:
        """Press an inline button of a bot message; returns the callback query id."""
        return self.fake._press(self, message, callback_data)

    def block_bot(self) -> None:
        self.fake._set_blocked(self, blocked=True)

    def unblock_bot(self) -> None:
        self.fake._set_blocked(self, blocked=False)


@dataclass(eq=False)
class FakeChat:
    """A chat the bot is in: a private chat with one user, or a supergroup."""

    id: int
    type: str
    title: str | None = None
    user: FakeUser | None = None  # the other side of a private chat
    is_forum: bool = False
    members: dict[int, FakeUser] = field(default_factory=dict)
    messages: dict[int, Json] = field(default_factory=dict, repr=False)  # oldest first
    topics: dict[int, Json] = field(default_factory=dict)  # ForumTopic by message_thread_id
    closed_topics: set[int] = field(default_factory=set)
    last_message_id: int = 0

    def as_dict(self) -> Json:
        if self.user is not None:
            return self.user.private_chat_dict()
        chat: Json = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def has_member(self, user: FakeUser) -> bool:
        return user is self.user or user.id in self.members


@dataclass
class RecordedRequest:
    """One Bot API call as the fake saw it; status stays None while the call runs."""

    method: str
    params: Json
    status: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(eq=False)
class _Queued:
    update: Json
    redelivery: bool = False  # handed out again even if the offset already passed it

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Failure:
    method: str
    error: TelegramError
    times: int
    chat_id: int | str | None


CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
COPIED_CONTENT = (
    "text",
    "entities",
    "photo",
    "document",
    "location",
    "sticker",
    "caption",
    "caption_entities",
)
BOT_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
    "can_send_welcome_messages": False,  # Bot API 10.3, which aiogram 3.31 requires
}
GIFT_KINDS = (
    "unlimited_gifts",
    "limited_gifts",
    "unique_gifts",
    "premium_subscription",
    "gifts_from_channels",
)


def _scope_key(p: Json) -> tuple[str, str]:
    # Commands are kept per scope and language exactly as set; reading does not fall back.
    scope = json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True)
    return scope, p.get("language_code", "")


def _not_found() -> web.Response:
    return web.json_response(TelegramError(404, "Not Found").body(), status=404)


async def _unknown_path(request: web.Request) -> web.Response:
    return _not_found()


class FakeTelegram:
    """Telegram for one bot, in memory, served over HTTP by `app`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.1,
    ) -> None:
        self.spec = load_spec()
        self.clock = clock
        self.webhook_attempts = webhook_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.requests: list[RecordedRequest] = []
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self._bot: BotAccount | None = None
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, FakeChat] = {}
        self._files: dict[str, StoredFile] = {}  # by file_id
        self._file_paths: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._query_numbers = itertools.count(1)
        self._queries: dict[str, float] = {}  # unanswered callback query id -> when pressed
        self._pending: list[_Queued] = []
        self._history: dict[int, Json] = {}  # every update ever made, for redelivery
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._http: ClientSession | None = None
        self._commands: dict[tuple[str, str], list[Json]] = {}
        self._failures: list[_Failure] = []
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

    # --- looking at the world ---

    def messages(self, chat_id: int, thread_id: int | None = None) -> list[Json]:
        """The chat's messages as they are now (edits applied, deleted ones gone), oldest first."""
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}; make it with user() or group()")
        return [
            copy.deepcopy(message)
            for message in chat.messages.values()
            if thread_id is None or message.get("message_thread_id") == thread_id
        ]

    def bot_messages(self, chat_id: int, thread_id: int | None = None) -> list[Json]:
        return [m for m in self.messages(chat_id, thread_id) if m["from"]["id"] == self.bot.id]

    def updates(self) -> list[Json]:
        """Every update made so far, delivered or not, oldest first."""
        return [copy.deepcopy(update) for _, update in sorted(self._history.items())]

    def pending_updates(self) -> list[Json]:
        """Updates the bot has not confirmed yet (by offset, or by a webhook's 2xx)."""
        return [copy.deepcopy(queued.update) for queued in self._pending]

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
        parameters = _without_none(
            {"retry_after": retry_after, "migrate_to_chat_id": migrate_to_chat_id}
        )
        error = TelegramError(
            error_code, description or HTTPStatus(error_code).phrase, parameters or None
        )
        self._failures.append(_Failure(name, error, times, chat_id))

    def redeliver(self, update_id: int) -> None:
        """Queue a delivered update again with the same update_id, as Telegram does when unsure
        the bot got it: it is handed out once more even past an offset already confirmed."""
        update = self._history.get(update_id)
        if update is None:
            raise KeyError(f"no update {update_id}")
        self._pending = [queued for queued in self._pending if queued.update_id != update_id]
        self._pending.append(_Queued(update, redelivery=True))
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
        status, body = await self._dispatch(request.match_info["token"], name, params)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._authorize(request.match_info["token"])
        except TelegramError as error:
            return web.json_response(error.body(), status=error.code)
        stored = self._file_paths.get(request.match_info["path"])
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

    # --- updates ---

    def _enqueue(self, kind: str, payload: Json) -> None:
        """Queue an update, unless allowed_updates excludes its kind (Telegram decides that
        when the update happens, not when it is fetched)."""
        if self._allowed_updates and kind not in self._allowed_updates:
            return
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: copy.deepcopy(payload)}
        self._history[update_id] = update
        self._pending.append(_Queued(update))
        self._state_changed()

    def _confirm(self, offset: int | None) -> None:
        """Forget updates below `offset` (a negative one keeps only the last -offset)."""
        if not offset:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [q for q in self._pending if q.update_id >= offset or q.redelivery]

    async def _deliver_to_webhook(self) -> None:
        """Push queued updates to the webhook one at a time, for as long as one is set."""
        while (hook := self._webhook) is not None and not self._stopping:
            if not self._pending:
                await self._change.wait()
                continue
            queued = self._pending[0]
            queued.redelivery = False
            await self._post_update(hook, queued.update)
            if queued in self._pending:
                self._pending.remove(queued)
            self._state_changed()

    async def _post_update(self, hook: _Webhook, update: Json) -> None:
        """POST one update, retrying a few times; the last error shows in getWebhookInfo.
        (Telegram keeps retrying for much longer before it gives an update up.)"""
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        )
        if self._http is None:
            self._http = ClientSession(timeout=WEBHOOK_TIMEOUT)
        for attempt in range(self.webhook_attempts):
            if attempt:
                await asyncio.sleep(self.webhook_retry_delay * 2 ** (attempt - 1))
            try:
                async with self._http.post(hook.url, json=update, headers=headers) as response:
                    if response.status < 300:
                        await self._run_webhook_reply(response)
                        return
                    problem = (
                        f"Wrong response from the webhook: {response.status} {response.reason}"
                    )
            except (ClientError, TimeoutError) as error:
                problem = f"Connection failed: {error!r}"
            hook.last_error_date, hook.last_error_message = self._now(), problem
            self._state_changed()

    async def _run_webhook_reply(self, response: ClientResponse) -> None:
        """A webhook may answer an update with a method call; Telegram runs it."""
        try:
            params = await _response_params(response)
        except TelegramError:
            return  # an unreadable reply is ignored, as Telegram ignores it
        method = params.pop("method", None)
        if isinstance(method, str):
            await self._dispatch(self.bot.token, method, params)

    # --- chats and messages ---

    def _chat(self, chat_id: int | str) -> FakeChat:
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, chat_id: int | str) -> FakeChat:
        """A chat the bot may post in, refused as Telegram refuses."""
        chat = self._chat(chat_id)
        if chat.user is not None and chat.user.blocked_bot:
            raise forbidden("bot was blocked by the user")
        if chat.user is not None and not chat.user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def _message_in(self, chat: FakeChat, message_id: int, missing: str) -> Json:
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request(missing)
        return message

    def _topic(self, chat: FakeChat, thread_id: int) -> Json:
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise bad_request("message thread not found")
        return topic

    def _forum(self, chat_id: int | str) -> FakeChat:
        chat = self._chat(chat_id)
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        return chat

    def _store_message(
        self,
        chat: FakeChat,
        sender: Json,
        content: Json,
        thread_id: int | None = None,
        reply_to: Json | None = None,
    ) -> Json:
        """The one place Message objects are made: numbering, date, chat, thread and reply."""
        chat.last_message_id += 1
        message: Json = {
            "message_id": chat.last_message_id,
            "from": sender,
            "date": self._now(),
            "chat": chat.as_dict(),
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            # In a topic, a message replying to nothing replies to the topic's first message.
            reply_to = reply_to or chat.messages.get(thread_id)
        if reply_to is not None:
            replied = {key: value for key, value in reply_to.items() if key != "reply_to_message"}
            message["reply_to_message"] = copy.deepcopy(replied)
        message.update(content)
        chat.messages[message["message_id"]] = message
        self._state_changed()
        return message

    def _send(self, chat: FakeChat, p: Json, content: Json) -> Json:
        """Post a new bot message: what every send method shares."""
        markup = _inline_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p)
        thread_id = self._thread_for_send(chat, p.get("message_thread_id"), reply_to)
        if markup is not None:
            content["reply_markup"] = markup
        return self._store_message(chat, self.bot.as_dict(), content, thread_id, reply_to)

    def _reply_target(self, chat: FakeChat, p: Json) -> Json | None:
        """The message a new one replies to: reply_parameters or the older reply_to_message_id."""
        reply = p.get("reply_parameters")
        if reply is None and "reply_to_message_id" in p:
            # Gone from the spec, yet Telegram still takes it and aiogram still sends it.
            name, value = "reply_to_message_id", p["reply_to_message_id"]
            reply = {"message_id": _checked_param(self.spec, p, name, ["Integer"], value)}
        if reply is None:
            return None
        if reply.get("chat_id", chat.id) != chat.id:
            raise bad_request("replies to another chat are not supported by the fake")
        target = chat.messages.get(reply["message_id"])
        if target is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return target

    def _thread_for_send(
        self, chat: FakeChat, thread_id: int | None, reply_to: Json | None
    ) -> int | None:
        if thread_id is None:
            # A reply without a thread goes to the topic of the message it replies to.
            return reply_to.get("message_thread_id") if reply_to and chat.is_forum else None
        self._topic(chat, thread_id)
        return thread_id

    def _editable(self, p: Json) -> Json:
        """The bot message an edit method names, refused as Telegram refuses."""
        if "inline_message_id" in p:
            raise bad_request("inline messages are not supported by the fake")
        if "chat_id" not in p:
            raise bad_request("chat_id is empty")
        if "message_id" not in p:
            raise bad_request("message identifier is not specified")
        chat = self._writable_chat(p["chat_id"])
        message = self._message_in(chat, p["message_id"], "message to edit not found")
        if message["from"]["id"] != self.bot.id:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: Json, content: Json, markup: Json | None) -> Json:
        """Replace content and inline keyboard; an absent keyboard is removed, as in Telegram."""
        changes = {**content, "reply_markup": _inline_markup(markup)}
        if all(message.get(key) == value for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = self._now()
        self._state_changed()
        return message

    def _store_file(
        self, kind: str, data: bytes, file_name: str | None, content_type: str | None
    ) -> StoredFile:
        number = next(self._file_numbers)
        prefix, suffix = FILE_KINDS[kind]
        suffix = suffix or PurePosixPath(file_name or "").suffix
        mime_type = mimetypes.guess_type(file_name or "")[0] or content_type
        stored = StoredFile(
            file_id=f"{prefix}fake{number:06d}",
            file_unique_id=f"AQADfake{number:06d}",
            file_path=f"{kind}s/file_{number}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def _input_file(self, value: UploadedFile | str, kind: str) -> StoredFile:
        """An uploaded file (stored now), or one Telegram already has, named by its file_id."""
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            return self._store_file(kind, value.data, value.filename, value.content_type)
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # the fake fetches nothing
        stored = self._files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    # --- what users do ---

    def _user_sends(
        self,
        user: FakeUser,
        chat: FakeChat | None,
        content: Json,
        reply_to: int | None,
        thread_id: int | None,
    ) -> Json:
        target = self._chats[user.id] if chat is None else chat
        if not target.has_member(user):
            raise ValueError(f"{user.first_name} is not a member of chat {target.id}")
        if target.user is user:
            user.started = True
            self._set_blocked(user, blocked=False)  # writing to a bot unblocks it, as apps do
        reply = None
        if reply_to is not None:
            reply = target.messages.get(reply_to)
            if reply is None:
                raise ValueError(f"no message {reply_to} in chat {target.id} to reply to")
        if thread_id is None and reply is not None and target.is_forum:
            thread_id = reply.get("message_thread_id")
        if thread_id is not None and thread_id not in target.topics:
            raise ValueError(f"no topic {thread_id} in chat {target.id}")
        if thread_id in target.closed_topics:
            raise ValueError(f"topic {thread_id} is closed; members can't write there")
        message = self._store_message(target, user.as_dict(), content, thread_id, reply)
        self._enqueue("message", message)
        return copy.deepcopy(message)

    def _press(self, user: FakeUser, message: Mapping[str, Any], callback_data: str) -> str:
        chat = self._chats.get(message["chat"]["id"])
        stored = chat.messages.get(message["message_id"]) if chat is not None else None
        if chat is None or stored is None:
            raise ValueError("that message is gone; there is nothing to press")
        if not chat.has_member(user):
            raise ValueError(f"{user.first_name} can't see chat {chat.id}")
        keyboard = stored.get("reply_markup", {}).get("inline_keyboard", [])
        offered = [button.get("callback_data") for row in keyboard for button in row]
        if callback_data not in offered:
            raise ValueError(
                f"message {stored['message_id']} has no button with callback_data "
                f"{callback_data!r}; it has {offered}"
            )
        query_id = str(10**15 + next(self._query_numbers))
        self._queries[query_id] = self.clock()
        query = {
            "id": query_id,
            "from": user.as_dict(),
            "message": stored,
            "chat_instance": str(zlib.crc32(str(chat.id).encode())),
            "data": callback_data,
        }
        self._enqueue("callback_query", query)
        return query_id

    def _set_blocked(self, user: FakeUser, *, blocked: bool) -> None:
        """Block or unblock the bot; Telegram tells the bot with a my_chat_member update."""
        if user.blocked_bot == blocked:
            return
        user.blocked_bot = blocked
        member = {"status": "member", "user": self.bot.as_dict()}
        kicked = {"status": "kicked", "user": self.bot.as_dict(), "until_date": 0}
        change = {
            "chat": user.private_chat_dict(),
            "from": user.as_dict(),
            "date": self._now(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        self._enqueue("my_chat_member", change)

    # --- Bot API methods (registered in HANDLERS below) ---

    async def _get_me(self, p: Json) -> Json:
        return {
            **self.bot.as_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, p: Json) -> list[Json]:
        if self._webhook is not None:
            raise TelegramError(409, WEBHOOK_CONFLICT)
        if "allowed_updates" in p:
            self._allowed_updates = p["allowed_updates"]
        self._confirm(p.get("offset"))
        self._poll_generation += 1
        generation = self._poll_generation
        self._state_changed()  # an older long poll still waiting is answered with a conflict

        def answerable() -> bool:
            replaced = generation != self._poll_generation
            return bool(self._pending) or replaced or self._webhook is not None or self._stopping

        await self._wait_until(answerable, max(p.get("timeout", 0), 0))
        if generation != self._poll_generation:
            raise TelegramError(409, POLL_CONFLICT)
        if self._webhook is not None:
            raise TelegramError(409, WEBHOOK_CONFLICT)
        batch = self._pending[: min(max(p.get("limit", 100), 1), 100)]
        for queued in batch:
            queued.redelivery = False
        return [copy.deepcopy(queued.update) for queued in batch]

    async def _set_webhook(self, p: Json) -> bool:
        if not p["url"].startswith(("https://", "http://")):  # the fake also allows plain http
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if p.get("drop_pending_updates"):
            self._pending.clear()
        if "allowed_updates" in p:
            self._allowed_updates = p["allowed_updates"]
        self._webhook = _Webhook(p["url"], p.get("secret_token"), p.get("max_connections", 40))
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_to_webhook())
        self._state_changed()
        return True

    async def _delete_webhook(self, p: Json) -> bool:
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook = None
        self._state_changed()
        return True

    async def _get_webhook_info(self, p: Json) -> Json:
        hook = self._webhook
        info: Json = {
            "url": hook.url if hook is not None else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is not None:
            info |= _without_none(
                {
                    "max_connections": hook.max_connections,
                    "last_error_date": hook.last_error_date,
                    "last_error_message": hook.last_error_message,
                }
            )
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    async def _send_message(self, p: Json) -> Json:
        chat = self._writable_chat(p["chat_id"])
        text, entities = formatted(p["text"], p.get("parse_mode"), p.get("entities"))
        _check_text(text)
        return self._send(chat, p, {"text": text, **_entities("entities", entities)})

    async def _copy_message(self, p: Json) -> Json:
        chat = self._writable_chat(p["chat_id"])
        source_chat = self._chat(p["from_chat_id"])
        source = self._message_in(source_chat, p["message_id"], "message to copy not found")
        content = {key: copy.deepcopy(source[key]) for key in COPIED_CONTENT if key in source}
        if not content:
            raise bad_request("message can't be copied")
        if "text" not in content and "caption" in p:
            content = {k: v for k, v in content.items() if not k.startswith("caption")}
            content |= _caption(p)
        return {"message_id": self._send(chat, p, content)["message_id"]}

    async def _forward_message(self, p: Json) -> Json:
        chat = self._writable_chat(p["chat_id"])
        source_chat = self._chat(p["from_chat_id"])
        source = self._message_in(source_chat, p["message_id"], "message to forward not found")
        content = {key: copy.deepcopy(source[key]) for key in COPIED_CONTENT if key in source}
        if not content:
            raise bad_request("message can't be forwarded")
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        content["forward_origin"] = copy.deepcopy(source.get("forward_origin", origin))
        return self._send(chat, p, content)

    async def _edit_message_text(self, p: Json) -> Json:
        text, entities = formatted(p.get("text", ""), p.get("parse_mode"), p.get("entities"))
        _check_text(text)
        message = self._editable(p)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        content = {"text": text, "entities": entities or None}
        return self._apply_edit(message, content, p.get("reply_markup"))

    async def _edit_message_reply_markup(self, p: Json) -> Json:
        return self._apply_edit(self._editable(p), {}, p.get("reply_markup"))

    async def _delete_message(self, p: Json) -> bool:
        chat = self._chat(p["chat_id"])
        message = self._message_in(chat, p["message_id"], "message to delete not found")
        if self._now() - message["date"] > DELETE_WINDOW:
            raise bad_request("message can't be deleted for everyone")
        del chat.messages[message["message_id"]]
        self._state_changed()
        return True

    async def _answer_callback_query(self, p: Json) -> bool:
        query_id = p["callback_query_id"]
        pressed = self._queries.get(query_id)
        if pressed is None or self.clock() - pressed > CALLBACK_ANSWER_WINDOW:
            raise bad_request(QUERY_TOO_OLD)
        if len(p.get("text", "")) > CALLBACK_TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        del self._queries[query_id]
        answer = CallbackAnswer(p.get("text"), p.get("show_alert", False), p.get("url"))
        self.callback_answers[query_id] = answer
        return True

    async def _send_chat_action(self, p: Json) -> bool:
        chat = self._writable_chat(p["chat_id"])
        if p["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._thread_for_send(chat, p.get("message_thread_id"), None)
        return True

    async def _set_my_commands(self, p: Json) -> bool:
        commands = p["commands"]
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not COMMAND_NAME.fullmatch(command["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[_scope_key(p)] = commands
        return True

    async def _get_my_commands(self, p: Json) -> list[Json]:
        return copy.deepcopy(self._commands.get(_scope_key(p), []))

    async def _delete_my_commands(self, p: Json) -> bool:
        self._commands.pop(_scope_key(p), None)
        return True

    async def _get_chat(self, p: Json) -> Json:
        return {
            **self._chat(p["chat_id"]).as_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(GIFT_KINDS, False),
        }

    async def _get_chat_member(self, p: Json) -> Json:
        chat = self._chat(p["chat_id"])
        if p["user_id"] == self.bot.id:
            if chat.user is not None:
                return {"status": "member", "user": self.bot.as_dict()}
            return {"status": "administrator", "user": self.bot.as_dict(), **BOT_ADMIN_RIGHTS}
        user = self._users.get(p["user_id"])
        if user is None:
            raise bad_request("user not found")
        status = "member" if chat.has_member(user) else "left"
        return {"status": status, "user": user.as_dict()}

    async def _send_photo(self, p: Json) -> Json:
        chat = self._writable_chat(p["chat_id"])
        photo = self._input_file(p["photo"], "photo")
        if image_size(photo.data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        return self._send(chat, p, {"photo": photo.as_photo(), **_caption(p)})

    async def _send_document(self, p: Json) -> Json:
        chat = self._writable_chat(p["chat_id"])
        document = self._input_file(p["document"], "document")
        return self._send(chat, p, {"document": document.as_document(), **_caption(p)})

    async def _get_file(self, p: Json) -> Json:
        stored = self._files.get(p["file_id"])
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.as_file()

    async def _create_forum_topic(self, p: Json) -> Json:
        chat = self._forum(p["chat_id"])
        # The topic's id is the id of the service message that opens it, posted right below.
        thread_id = chat.last_message_id + 1
        topic = _without_none(
            {
                "message_thread_id": thread_id,
                "name": p["name"],
                "icon_color": p.get("icon_color", DEFAULT_TOPIC_COLOR),
                "icon_custom_emoji_id": p.get("icon_custom_emoji_id"),
            }
        )
        chat.topics[thread_id] = topic
        created = {key: value for key, value in topic.items() if key != "message_thread_id"}
        self._store_message(chat, self.bot.as_dict(), {"forum_topic_created": created}, thread_id)
        return dict(topic)

    async def _edit_forum_topic(self, p: Json) -> bool:
        chat = self._forum(p["chat_id"])
        topic = self._topic(chat, p["message_thread_id"])
        changes: Json = {
            key: p[key]
            for key in ("name", "icon_custom_emoji_id")
            if key in p and p[key] != topic.get(key)
        }
        if not changes:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.update(changes)
        edited = {"forum_topic_edited": changes}
        self._store_message(chat, self.bot.as_dict(), edited, p["message_thread_id"])
        return True

    async def _close_forum_topic(self, p: Json) -> bool:
        return self._set_topic_closed(p, closed=True)

    async def _reopen_forum_topic(self, p: Json) -> bool:
        return self._set_topic_closed(p, closed=False)

    def _set_topic_closed(self, p: Json, *, closed: bool) -> bool:
        chat = self._forum(p["chat_id"])
        thread_id = p["message_thread_id"]
        self._topic(chat, thread_id)
        if (thread_id in chat.closed_topics) == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        if closed:
            chat.closed_topics.add(thread_id)
        else:
            chat.closed_topics.discard(thread_id)
        event = "forum_topic_closed" if closed else "forum_topic_reopened"
        self._store_message(chat, self.bot.as_dict(), {event: {}}, thread_id)
        return True

    async def _delete_forum_topic(self, p: Json) -> bool:
        chat = self._forum(p["chat_id"])
        thread_id = p["message_thread_id"]
        self._topic(chat, thread_id)
        del chat.topics[thread_id]
        chat.closed_topics.discard(thread_id)
        chat.messages = {
            message_id: message
            for message_id, message in chat.messages.items()
            if message.get("message_thread_id") != thread_id
        }
        self._state_changed()
        return True


Handler = Callable[[FakeTelegram, Json], Awaitable[Any]]

# The Bot API methods the fake implements. Every other method of the spec is refused with
# "Bad Request: method is not supported by the fake". To add one, write an async method on
# FakeTelegram taking the checked params, and register it here.
HANDLERS: dict[str, Handler] = {
    "getMe": FakeTelegram._get_me,
    "getUpdates": FakeTelegram._get_updates,
    "setWebhook": FakeTelegram._set_webhook,
    "deleteWebhook": FakeTelegram._delete_webhook,
    "getWebhookInfo": FakeTelegram._get_webhook_info,
    "sendMessage": FakeTelegram._send_message,
    "copyMessage": FakeTelegram._copy_message,
    "forwardMessage": FakeTelegram._forward_message,
    "editMessageText": FakeTelegram._edit_message_text,
    "editMessageReplyMarkup": FakeTelegram._edit_message_reply_markup,
    "deleteMessage": FakeTelegram._delete_message,
    "answerCallbackQuery": FakeTelegram._answer_callback_query,
    "sendChatAction": FakeTelegram._send_chat_action,
    "setMyCommands": FakeTelegram._set_my_commands,
    "getMyCommands": FakeTelegram._get_my_commands,
    "deleteMyCommands": FakeTelegram._delete_my_commands,
    "getChat": FakeTelegram._get_chat,
    "getChatMember": FakeTelegram._get_chat_member,
    "sendPhoto": FakeTelegram._send_photo,
    "sendDocument": FakeTelegram._send_document,
    "getFile": FakeTelegram._get_file,
    "createForumTopic": FakeTelegram._create_forum_topic,
    "editForumTopic": FakeTelegram._edit_forum_topic,
    "closeForumTopic": FakeTelegram._close_forum_topic,
    "reopenForumTopic": FakeTelegram._reopen_forum_topic,
    "deleteForumTopic": FakeTelegram._delete_forum_topic,
}
