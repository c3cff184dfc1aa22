"""Gettext catalogs (Babel): Simplified Chinese first, English complete.

The `.po` catalogs are package data (the `locales` package) and are compiled in memory when
the bot starts: there are no `.mo` files to build, ship or keep fresh, and nothing is ever
written next to the code, so an installed package on a read-only file system works too.
"""

from io import BytesIO
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


def catalog_path(locales_dir: Path, locale: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(po_path: Path, locale: str) -> Translations:
    """One `.po` catalog, compiled to `.mo` form in memory; a missing file is an error (a
    silent fallback to the English message ids is exactly what must not happen)."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


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
        self.default_locale = default_locale
        self._texts = {
            locale: Texts(locale, load_translations(catalog_path(locales_dir, locale), locale))
            for locale in LOCALES
        }

    def get(self, locale: str | None) -> Texts:
        return self._texts.get(locale or "", self._texts[self.default_locale])
