"""Thai first, English on request: the reader's language, the gettext catalogues, Thai dates.

Every text a person reads is an English msgid, translated by the catalogues under
translations/ (README, "Translations"). Flask-Babel picks the language of a request: `?lang=`
(remembered in a cookie), then the cookie, then the browser's Accept-Language (English for a
browser that asks for English and not for Thai), else Thai.
`language("en")` renders in another language for a while: a message to a citizen, an error
answered in both languages. Outside a request the language is Thai.

`_` translates now; `_l` keeps the message and translates it when it is shown, in the
language of that moment (module-level labels, errors that are answered in two languages).
The catalogues are read with Babel directly, so a message renders the same in a request, the
notification worker, the CLI or a test with no app at all.

Thai appears in this file only as the month abbreviations of Buddhist Era dates and the name
of the Thai language in itself, on the link that switches to it.
"""
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, g, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from mapdash.extensions import babel

LANGUAGES = ("th", "en")
# Each language's name in itself, for the link that switches to it.
LANGUAGE_NAMES = {"th": "ภาษาไทย", "en": "English"}
LOCAL_TZ = ZoneInfo("Asia/Bangkok")  # every time a person reads or types is Thai time
DEFAULT_LANGUAGE = "th"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
BE_OFFSET = 543  # Buddhist Era = Common Era + 543
# Babel prints Gregorian years, so Thai dates are written here (format_date).
THAI_MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
                     "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
EN_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LANGUAGE_COOKIE = "lang"

_forced: ContextVar[str | None] = ContextVar("mapdash_language", default=None)


@cache
def catalogue(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [lang])


def current_language() -> str:
    forced = _forced.get()
    if forced:
        return forced
    try:
        locale = get_locale()  # None outside a request
    except RuntimeError:  # an app context of an app without Flask-Babel
        locale = None
    return locale.language if locale is not None else DEFAULT_LANGUAGE


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Render in `lang` inside the block, whatever the request asked for."""
    token = _forced.set(lang)
    try:
        yield
    finally:
        _forced.reset(token)


def gettext(msgid: str, **params: Any) -> str:
    text = catalogue(current_language()).gettext(msgid)
    return text % params if params else text


def pgettext(context: str, msgid: str, **params: Any) -> str:
    """For an English text that needs two translations (the same word in two places)."""
    text = str(catalogue(current_language()).pgettext(context, msgid))
    return text % params if params else text


def ngettext(singular: str, plural: str, num: int, **params: Any) -> str:
    params.setdefault("num", num)
    return catalogue(current_language()).ngettext(singular, plural, num) % params


class LazyText:
    """A message translated each time it is shown, in the language of that moment."""

    __slots__ = ("context", "msgid", "params")

    def __init__(self, msgid: str, params: dict[str, Any], context: str | None = None):
        self.msgid, self.params, self.context = msgid, params, context

    def __str__(self) -> str:
        if self.context is not None:
            return pgettext(self.context, self.msgid, **self.params)
        return gettext(self.msgid, **self.params)

    def __html__(self) -> Markup:  # Jinja escapes it like any text
        return escape(str(self))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"LazyText({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == other if isinstance(other, str) else (
            isinstance(other, LazyText) and (self.msgid, self.params, self.context)
            == (other.msgid, other.params, other.context))

    def __hash__(self) -> int:
        return hash((self.msgid, self.context))

    def in_language(self, lang: str) -> str:
        with language(lang):
            return str(self)


def lazy_gettext(msgid: str, **params: Any) -> LazyText:
    return LazyText(msgid, params)


def lazy_pgettext(context: str, msgid: str, **params: Any) -> LazyText:
    return LazyText(msgid, params, context)


def N_(msgid: str) -> str:
    """Marks a message for the catalogue that is translated later, by a variable."""
    return msgid


_ = gettext
_p = pgettext
_l = lazy_gettext
_lp = lazy_pgettext


def in_language(text: "str | LazyText", lang: str) -> str:
    with language(lang):
        return str(text)


def in_office_language(text: "str | LazyText") -> str:
    """The office's own language (Thai), for text kept in a case's record (an event's note,
    who acted) like the staff's own notes, and for what programs read (Open311)."""
    return in_language(text, DEFAULT_LANGUAGE)


def both(text: "str | LazyText") -> tuple[str, str]:
    """(Thai, English) of a message: errors and notifications carry both."""
    return in_language(text, "th"), in_language(text, "en")


@cache
def script_catalogue(lang: str) -> dict[str, str]:
    """The messages our JavaScript uses (static/js), msgid → text, for the page to embed; a
    message with a context is keyed "context\x04msgid", as gettext does."""
    path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po)
    return {(f"{m.context}\x04{m.id}" if m.context else m.id): str(m.string or m.id)
            for m in catalog if m.id and isinstance(m.id, str)
            and any(file.startswith("static/") for file, _line in m.locations)}


def script_catalogue_json() -> Markup:
    """For <script type="application/json" id="messages">: safe inside HTML."""
    text = json.dumps(script_catalogue(current_language()), ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def status_labels() -> dict[str, str]:
    """Every case status's label in the reader's language, for a page's script."""
    from mapdash.vocabulary import (
        STATUS_LABELS,  # the vocabulary's labels need this module
    )
    return {status: str(label) for status, label in STATUS_LABELS.items()}


def localized(obj: Any, field: str = "name") -> str:
    """obj.name_th or obj.name_en (obj["name_th"] of a dict), whichever the reader chose
    (Thai when English is missing)."""
    def get(name: str) -> str | None:
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    if current_language() == "en":
        return get(f"{field}_en") or get(f"{field}_th") or ""
    return get(f"{field}_th") or ""


class Localized:
    """obj's name in the language a message is rendered in, for a lazy message's params
    (a case type's name in an error answered in Thai and in English)."""

    __slots__ = ("field", "obj")

    def __init__(self, obj: Any, field: str = "name"):
        self.obj, self.field = obj, field

    def __str__(self) -> str:
        return localized(self.obj, self.field)


class LocalDate:
    """A moment written in the language a message is rendered in (format_date)."""

    __slots__ = ("value", "with_time")

    def __init__(self, value: datetime, with_time: bool = False):
        self.value, self.with_time = value, with_time

    def __str__(self) -> str:
        return format_date(self.value, with_time=self.with_time)


def village_label(village: Any) -> LazyText:
    """'Village 3 Ban Don Daeng' ('หมู่ 3 บ้านดอนแดง') in the language it is shown in."""
    return lazy_pgettext("village label", "Village %(number)s %(name)s", number=village.number,
                         name=Localized(village))


def format_date(value: datetime | None, with_time: bool = False, lang: str | None = None) -> str:
    """'13 ก.ย. 2569' in Thai (Buddhist Era, Bangkok time), '13 Sep 2026' in English."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_TZ) if value.tzinfo else value
    lang = lang or current_language()
    if lang == "en":
        text = f"{local.day} {EN_MONTHS_SHORT[local.month - 1]} {local.year}"
    else:
        text = f"{local.day} {THAI_MONTHS_SHORT[local.month - 1]} {local.year + BE_OFFSET}"
    return f"{text} {local:%H:%M}" if with_time else text


def other_language() -> str:
    return "th" if current_language() == "en" else "en"


def switch_language_url() -> str:
    """This page in the other language, keeping its query (?next=..., filters)."""
    other = other_language()
    args = request.args.to_dict(flat=False)
    args["lang"] = [other]
    return request.path + "?" + urlencode(args, doseq=True)


def _choose_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.lang_asked = asked
        return asked
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    # Thai first: many Thai phones are set to English but still list Thai; only a browser
    # that asks for English and not for Thai at all (a visitor) gets English.
    asked_for = {lang.split("-")[0].lower() for lang, quality in request.accept_languages
                 if quality > 0}
    return "en" if "en" in asked_for and "th" not in asked_for else DEFAULT_LANGUAGE


def _remember_language(response):
    if g.get("lang_asked"):
        response.set_cookie(LANGUAGE_COOKIE, g.lang_asked, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, default_locale=DEFAULT_LANGUAGE, locale_selector=_choose_language,
                   default_translation_directories=str(TRANSLATIONS_DIR))
    app.after_request(_remember_language)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s, **params: gettext(s, **params),
        ngettext=lambda s, p, n, **params: ngettext(s, p, n, **params),
        pgettext=lambda c, s, **params: pgettext(c, s, **params),
        newstyle=True)
    app.jinja_env.globals.update(localized=localized, current_language=current_language,
                                 switch_language_url=switch_language_url,
                                 other_language=other_language, LANGUAGE_NAMES=LANGUAGE_NAMES,
                                 script_messages=script_catalogue_json,
                                 status_labels=status_labels)
    app.jinja_env.filters["thai_date"] = format_date
