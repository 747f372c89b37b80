"""Shared by the registration tests: an organization with a welfare officer, an engineering
officer and a dispatcher, and a complete application form as the applicant sends it."""
import io

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tests.crew_support import make_user
from tests.factories import make_org
from tests.photo_samples import jpeg

ORG = "test-tambon"
FORM_PATH = f"/report/elderly_allowance?org={ORG}"
# Valid checksums, no real person's: 1234567890121 is the textbook example.
GOOD_ID = "1-2345-67890-12-1"
GOOD_ID_DIGITS = "1234567890121"
ACCOUNT = "0201234567"


def world(session) -> dict:
    org = make_org(session, slug=ORG)
    return {"org": org,
            "welfare": make_user(session, org, "officer", "welfare@test.mapdash.test", "welfare"),
            "engineer": make_user(session, org, "officer", "engineer@test.mapdash.test",
                                  "engineering"),
            "dispatcher": make_user(session, org, "dispatcher", "dispatch@test.mapdash.test"),
            "admin": make_user(session, org, "admin", "admin@test.mapdash.test")}


def fields(**changes) -> dict:
    """The applicant's fields (born 1950: 60 or older whenever the tests run), `changes` on
    top (None leaves a field out)."""
    form = {"full_name": "นางทดสอบ ระบบดี", "national_id": GOOD_ID, "birth_day": "15",
            "birth_month": "3", "birth_year": "2493", "village": "1",
            "address": "12/3 ซอยวัด", "phone": "080-000-1234", "bank": "baac",
            "account_number": "020-1-23456-7", "account_name": "นางทดสอบ ระบบดี"}
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def photo(name="doc.jpg") -> tuple:
    return (io.BytesIO(jpeg(size=(120, 80))), name)


def documents(**changes) -> dict:
    """One photo for each document the elderly allowance asks for."""
    files = {f"doc-{purpose}": [photo(f"{purpose}.jpg")]
             for purpose in ("id_card", "house_registration", "bank_book")}
    files.update(changes)
    return {key: value for key, value in files.items() if value is not None}


def pdf_with_javascript() -> bytes:
    """A one-page PDF that runs a script when opened."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert('hello');")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
