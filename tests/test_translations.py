"""The gettext catalogues: every message the code, the templates and the scripts use is in
both catalogues and translated into Thai, the compiled .mo files are today's, and the
language of a page follows ?lang=, the cookie and the browser."""
import io
import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from mapdash import i18n
from mapdash.errors import UserError
from mapdash.i18n import _l, both, in_language

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "mapdash" / "translations"


def used_messages() -> dict[tuple[str | None, str], str]:
    """(context, msgid) of every marked text, as `pybabel extract` finds them, → where."""
    with (CATALOGUES / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((context, msgid), f"{filename}:{lineno}")
    return found


def catalogue(lang: str):
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def test_every_message_in_use_is_in_both_catalogues_and_translated_into_thai():
    used = used_messages()
    assert len(used) > 400  # the extraction really ran over the code
    for lang in ("th", "en"):
        entries = {(m.context, m.id): m for m in catalogue(lang) if m.id}
        missing = {key: where for key, where in used.items() if key not in entries}
        assert missing == {}, f"not in the {lang} catalogue (pybabel update, README): {missing}"
        fuzzy = [key for key, m in entries.items() if m.fuzzy and key in used]
        assert fuzzy == [], f"fuzzy in the {lang} catalogue: {fuzzy}"
    thai = {(m.context, m.id): m.string for m in catalogue("th") if m.id}
    untranslated = {key: where for key, where in used.items() if not thai[key]}
    assert untranslated == {}, f"no Thai translation: {untranslated}"


def test_translations_keep_the_placeholders_of_their_message():
    for lang in ("th", "en"):
        problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue(lang).check()]
        assert problems == []


def test_the_compiled_catalogues_are_those_of_the_po_files():
    """The .mo files are committed (a fresh clone runs without a build step): they must be
    compiled from today's .po (pybabel compile, README)."""
    for lang in ("th", "en"):
        compiled = io.BytesIO()
        write_mo(compiled, catalogue(lang))
        committed = (CATALOGUES / lang / "LC_MESSAGES" / "messages.mo").read_bytes()
        assert committed == compiled.getvalue(), f"run pybabel compile for {lang}"


def test_a_message_renders_in_each_language_without_an_app():
    message = _l("Case %(code)s is closed", code="ABCD-2345")
    assert both(message) == ("ปิดงาน ABCD-2345 แล้ว", "Case ABCD-2345 is closed")
    assert str(message) == "ปิดงาน ABCD-2345 แล้ว"  # outside a request: Thai
    assert in_language(message, "en") == "Case ABCD-2345 is closed"
    error = UserError("x", _l("Page not found"), status=404)
    assert (error.message_th, error.message_en) == ("ไม่พบหน้าที่ต้องการ", "Page not found")


def test_scripts_get_their_messages_from_the_catalogue():
    """What static/js uses is embedded in every page, in the page's language."""
    scripts = {msgid for (context, msgid), where in used_messages().items()
               if where.startswith("static/") and context is None}
    assert "Waiting to send" in scripts and "Overdue" in scripts
    for lang in ("th", "en"):
        i18n.script_catalogue.cache_clear()
        embedded = i18n.script_catalogue(lang)
        assert scripts <= set(embedded)
    assert i18n.script_catalogue("th")["Waiting to send"] == "รอส่ง"
    assert i18n.script_catalogue("en")["Waiting to send"] == "Waiting to send"
    assert i18n.script_catalogue("th")["track.village_no\x04Village"] == "หมู่"


def test_no_script_keeps_a_table_of_its_own_words():
    for script in (ROOT / "static" / "js").glob("*.js"):
        text = script.read_text()
        assert not re.search("[\u0e00-\u0e7f]", text), f"{script.name}: Thai outside the catalogue"


def _page_messages(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="mapdash-messages">(.*?)</script>',
                      html, re.S)
    return json.loads(found.group(1))


def test_language_follows_the_link_the_cookie_and_the_browser(client):
    assert '<html lang="th">' in client.get("/login").get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Staff sign-in" in page
    assert _page_messages(page)["Overdue"] == "Overdue"
    for thai_reader in ("th-TH,th;q=0.9,en;q=0.8", "en-US,en;q=0.9,th;q=0.5", "fr, de"):
        page = client.get("/login", headers={"Accept-Language": thai_reader}).get_data(as_text=True)
        assert '<html lang="th">' in page, thai_reader  # Thai first
    # ?lang= wins over the browser and is remembered
    chosen = client.get("/login?lang=th", headers={"Accept-Language": "en"})
    assert '<html lang="th">' in chosen.get_data(as_text=True)
    assert "lang=th" in chosen.headers["Set-Cookie"]
    again = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="th">' in again and _page_messages(again)["Overdue"] == "เกินเวลา"
