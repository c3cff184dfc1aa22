"""Every user-visible string is in the catalogs, translated, with the same placeholders."""

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.settings import PROJECT_ROOT
from bot.text.catalogs import LOCALES, Catalogs

LOCALES_DIR = PROJECT_ROOT / "locales"
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None, "_": None}
# The panel's templates call `_()` (admin/i18n.py); the code calls gettext/ngettext/N_.
METHODS = [("**.py", "python"), ("**.html", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for package in ("bot", "handlers", "admin"):
        for _, _, message, _, _ in extract_from_dir(
            PROJECT_ROOT / package, method_map=METHODS, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(path: Path):
    with path.open("rb") as source:
        return read_po(source)


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{\w*\}|<[^>]+>", text))


def test_the_template_holds_exactly_the_strings_of_the_code():
    template = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog(LOCALES_DIR / "messages.pot")
        if m.id
    }
    assert template == source_messages(), "run the extract and update commands of the README"


@pytest.mark.parametrize("locale", LOCALES)
def test_each_catalog_is_complete_and_keeps_the_placeholders(locale: str):
    messages = [m for m in catalog(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po") if m.id]
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages}
    assert ids == source_messages()
    for message in messages:
        singular = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{locale}: untranslated: {singular!r}"
        assert not message.fuzzy, f"{locale}: fuzzy: {singular!r}"
        for translated in strings:
            assert placeholders(translated) == placeholders(singular), singular


SINGULAR = "Noted ({count} message, {length} characters). Add more, or press “Submit”."
PLURAL = "Noted ({count} messages, {length} characters). Add more, or press “Submit”."


def test_the_catalogs_are_compiled_in_memory_and_nothing_is_written(tmp_path: Path):
    locales_dir = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales_dir)
    files = sorted(locales_dir.rglob("*"))
    catalogs = Catalogs(locales_dir)
    assert sorted(locales_dir.rglob("*")) == files  # no `.mo` files: an installed copy stays as is
    assert catalogs.get("zh_Hans").gettext("Submit") == "提交"
    assert catalogs.get("en").gettext("Submit") == "Submit"
    assert catalogs.get("fr").locale == "zh_Hans"  # unknown locale: the default
    assert catalogs.get("zh_Hans").ngettext(SINGULAR, PLURAL, 2).startswith("已记下（共{count}条")
    assert catalogs.get("en").ngettext(SINGULAR, PLURAL, 2) == PLURAL


def test_a_missing_catalog_is_an_error_not_english(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        Catalogs(tmp_path)
