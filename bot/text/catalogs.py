"""Gettext catalogs (Babel): Simplified Chinese first, English complete.

`.mo` files are build products: they are compiled from the `.po` catalogs when missing or
older than their source, so a fresh checkout runs without a separate build step.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "messages"
LOCALES = ("zh_Hans", "en")
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "en": "English"}


def locale_for(language_code: str | None) -> str:
    """Telegram's `language_code` (an IETF tag such as `zh-hans`) → one of LOCALES."""
    return "zh_Hans" if (language_code or "").lower().startswith("zh") else "en"


def telegram_language(locale: str) -> str:
    """The two-letter code Telegram uses for a locale's users (zh_Hans → zh)."""
    return locale.split("_")[0]


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is defined; it is translated where shown."""
    return message


def compile_catalogs(locales_dir: Path) -> list[Path]:
    """Compile every stale `.po` under locales_dir; returns the `.mo` files written."""
    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo_path)
    return written


class Texts:
    """The strings of one locale."""

    def __init__(self, locale: str, translations: Translations) -> None:
        self.locale = locale
        self._translations = translations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    @property
    def english(self) -> bool:
        return self.locale == "en"


class Catalogs:
    """The translations of every supported locale, loaded once."""

    def __init__(self, locales_dir: Path, default_locale: str = "zh_Hans") -> None:
        compile_catalogs(locales_dir)
        self.default_locale = default_locale
        self._texts = {
            locale: Texts(locale, Translations.load(str(locales_dir), [locale], DOMAIN))
            for locale in LOCALES
        }

    def get(self, locale: str | None) -> Texts:
        return self._texts.get(locale or "", self._texts[self.default_locale])
