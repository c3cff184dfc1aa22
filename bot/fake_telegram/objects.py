"""Bot API objects as the fake holds them: plain JSON dicts, optional fields left out."""

from typing import Any

Json = dict[str, Any]


def without_none(values: Json) -> Json:
    """The fields that have a value; Telegram leaves absent optional fields out."""
    return {key: value for key, value in values.items() if value is not None}
