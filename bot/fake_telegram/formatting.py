"""Message text as Telegram stores it: plain text and entities, offsets in UTF-16.

Telegram's HTML dialect is read the way the Bot API server reads it, so mistakes it refuses are
refused here with the same words; then leading and trailing whitespace is trimmed and the
length limits are checked. Markdown is not implemented.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.fake_telegram.errors import TelegramError, bad_request
from bot.fake_telegram.objects import Json

TEXT_LIMIT = 4096  # UTF-16 code units of a message text after entity parsing
CAPTION_LIMIT = 1024  # the same, for media captions
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


def check_text(text: str) -> None:
    """Refuse a message text Telegram refuses: empty, or too long once parsed and trimmed."""
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")


def caption_fields(p: Json) -> Json:
    """The caption fields of a media message, checked as Telegram checks them."""
    caption, entities = formatted(
        p.get("caption", ""), p.get("parse_mode"), p.get("caption_entities")
    )
    if utf16_len(caption) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return {"caption": caption, **entities_field("caption_entities", entities)} if caption else {}


def entities_field(key: str, entities: list[Json]) -> Json:
    """The entities under `key`, or no field at all: Telegram leaves an empty list out."""
    return {key: entities} if entities else {}


def command_entities(text: str) -> list[Json]:
    # Telegram marks the /commands in what users write.
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match[0]),
        }
        for match in COMMAND_IN_TEXT.finditer(text)
    ]
