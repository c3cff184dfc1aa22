"""The official Bot API as data, and the checks made with it.

``data/telegram-bot-api.json`` describes every method's fields and every object type (Bot API
10.1, trimmed from PaulSonOfLars/telegram-bot-api-spec, MIT licence beside it). Requests are
converted to the types it gives, or refused in Telegram's words; the fake's own answers are
checked against it too.
"""

import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from bot.fake_telegram.errors import bad_request
from bot.fake_telegram.objects import Json
from bot.fake_telegram.requests import UploadedFile

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
    """The Bot API spec shipped in data/, read once."""
    path = Path(__file__).with_name("data") / "telegram-bot-api.json"
    return ApiSpec(json.loads(path.read_text(encoding="utf-8")))


def check_object(value: Any, type_name: str) -> None:
    """Raise SpecViolation unless `value` has what the spec promises for `type_name` (e.g.
    "Message", "Array of Update"): its required fields, with values of the right types. Fields
    the spec does not know pass: clients may follow a newer Bot API than the spec file."""
    load_spec().conform(value, [type_name], type_name, lenient=False)


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
        checked[name] = checked_param(spec, params, name, field_spec["types"], value)
    return checked


def checked_param(spec: ApiSpec, params: Json, name: str, types: list[str], value: Any) -> Any:
    """One parameter converted to `types`; an "attach://<part>" file is the upload of that part."""
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
