"""Catalogues, locale negotiation and a per-message Translator with Babel formatting."""

from __future__ import annotations

import datetime as dt
import gettext
import html
import io
import string
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta, get_day_names
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from bot.html_text import to_plain

SUPPORTED_LOCALES = ("zh_CN", "en")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

# Telegram's language_code is free-form IETF; Babel's negotiate_locale returns None for
# zh-hans and friends, so we map explicitly. Traditional-Chinese users get Simplified,
# which they read, rather than English, which many elderly residents do not.
_ALIASES = {
    "zh": "zh_CN",
    "zh-cn": "zh_CN",
    "zh-hans": "zh_CN",
    "zh-hans-cn": "zh_CN",
    "zh-sg": "zh_CN",
    "zh-hant": "zh_CN",
    "zh-tw": "zh_CN",
    "zh-hk": "zh_CN",
    "zh-mo": "zh_CN",
    "en": "en",
}

_DATETIME_PATTERNS = {"zh_CN": "y年M月d日 EEEE HH:mm", "en": "EEE d MMM y, HH:mm"}
_DATE_PATTERNS = {"zh_CN": "y年M月d日 EEEE", "en": "EEE d MMM y"}
_SHORT_DATETIME_PATTERNS = {"zh_CN": "M月d日 EEE HH:mm", "en": "EEE d MMM, HH:mm"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translated where shown)."""
    return message


class Html(str):
    """Text that is already safe HTML and must not be escaped again."""

    __slots__ = ()


def esc(value: object) -> Html:
    """Escape user text for Telegram's HTML parse mode."""
    return Html(html.escape(str(value), quote=False))


def resolve_locale(language_code: str | None, default: str = "zh_CN") -> str:
    """Map a Telegram language_code (zh-hans, en-US, None, …) to a supported locale."""
    if not language_code:
        return default
    code = language_code.strip().lower().replace("_", "-")
    if code in _ALIASES:
        return _ALIASES[code]
    primary = code.split("-", 1)[0]
    if primary == "zh":
        return "zh_CN"
    if primary == "en":
        return "en"
    return default


def load_translations(locale: str, locales_dir: Path = LOCALES_DIR) -> gettext.NullTranslations:
    """Merge every .po file of a locale and compile it in memory (no .mo on disk)."""
    merged = Catalog(locale=locale)
    po_dir = locales_dir / locale / "LC_MESSAGES"
    for po_path in sorted(po_dir.glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                merged[message.id] = message
    if not merged:
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Catalogs:
    """The compiled translations of every supported locale, loaded once."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translations = {loc: load_translations(loc, locales_dir) for loc in SUPPORTED_LOCALES}
        self._cache: dict[tuple[str, str], Translator] = {}

    def translator(self, locale: str, tz: ZoneInfo) -> Translator:
        """Return the (shared, immutable) Translator for a locale and time zone."""
        if locale not in self._translations:
            locale = SUPPORTED_LOCALES[0]
        key = (locale, str(tz))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = Translator(self._translations[locale], locale, tz)
        return found


def _fill(template: str, values: dict[str, object]) -> str:
    if not values:
        return template
    safe = {k: v if isinstance(v, Html) else html.escape(str(v), quote=False) for k, v in values.items()}
    return template.format(**safe)


class Translator:
    """Translate and format for one locale and time zone; user values are HTML-escaped."""

    def __init__(self, translations: gettext.NullTranslations, locale: str, tz: ZoneInfo) -> None:
        self._t = translations
        self.locale = locale
        self.tz = tz
        self._babel_locale = Locale.parse(locale)

    def _(self, message: str, **values: object) -> str:
        """Translate a message and fill its {placeholders}, escaping values."""
        return _fill(self._t.gettext(message), values)

    def plain(self, message: str, **values: object) -> str:
        """Translate for plain text (button labels, popups, pictures): values shown as typed, not escaped."""
        return to_plain(_fill(self._t.gettext(message), values))

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """Translate with plural forms; {n} is available in the text."""
        values.setdefault("n", n)
        return _fill(self._t.ngettext(singular, plural, n), values)

    def datetime(self, moment: dt.datetime) -> str:
        """Full date and time in the chat's zone: 2020年9月12日 星期六 15:00."""
        return format_datetime(moment.astimezone(self.tz), _DATETIME_PATTERNS[self.locale], locale=self._babel_locale)

    def short_datetime(self, moment: dt.datetime) -> str:
        """Compact date and time for lists: 9月12日 周六 15:00."""
        return format_datetime(
            moment.astimezone(self.tz), _SHORT_DATETIME_PATTERNS[self.locale], locale=self._babel_locale
        )

    def date(self, day: dt.date | dt.datetime) -> str:
        """A date with weekday: 2020年9月12日 星期六."""
        if isinstance(day, dt.datetime):
            day = day.astimezone(self.tz).date()
        return format_date(day, _DATE_PATTERNS[self.locale], locale=self._babel_locale)

    def time(self, moment: dt.datetime) -> str:
        """A time of day: 15:00."""
        return format_time(moment.astimezone(self.tz), "HH:mm", locale=self._babel_locale)

    def weekday(self, index: int) -> str:
        """A short weekday name, 0 = Monday: 周一 / Mon."""
        return str(get_day_names("abbreviated", locale=self._babel_locale)[index])

    def number(self, value: float) -> str:
        """A number with the locale's grouping."""
        return format_decimal(value, locale=self._babel_locale)

    def percent(self, ratio: float) -> str:
        """A ratio as a percentage: 0.4 → 40%."""
        return format_percent(ratio, "#,##0%", locale=self._babel_locale)

    def join(self, items: Sequence[str], style: Literal["standard", "or"] = "standard") -> str:
        """A list: 甲、乙和丙 / a, b and c."""
        return format_list(list(items), style=style, locale=self._babel_locale) if items else ""

    def relative(self, delta: timedelta) -> str:
        """A relative time: 3天后 / in 3 days."""
        return format_timedelta(delta, add_direction=True, locale=self._babel_locale)


def placeholders(text: str) -> set[str]:
    """The {names} used by a message, for catalogue checks."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}
