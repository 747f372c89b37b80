"""The extra questions a case type asks (Category.questions) and the answers a case keeps.

The same list is the web form's extra fields and Open311's service definition "attributes".
Answers are checked here for every channel (intake.create_incident calls `check_answers`):
web forms and Open311 clients send `attribute[CODE]` values, kept as {code: answer}.

A question: {code, datatype, required, description_th, description_en, order,
values: [{key, name_th, name_en}]}, datatype one of Open311's DATATYPES.
"""
import math
import re
from datetime import datetime
from typing import NoReturn

from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, LazyText, Localized, _l

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LISTS = ("singlevaluelist", "multivaluelist")
MAX_STRING = 200
MAX_TEXT = 2000
# ISO 8601 as the W3C note has it; a browser's datetime-local sends it without a zone.
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")


def ordered(questions: list[dict]) -> list[dict]:
    return sorted(questions or [], key=lambda q: (q.get("order", 0), q["code"]))


def _refuse(question: dict, problem: LazyText) -> NoReturn:
    raise UserError("bad_answer", _l("%(question)s: %(problem)s",
                                     question=Localized(question, "description"), problem=problem),
                    field=f"attribute[{question['code']}]")


def _one(question: dict, value: str):
    datatype = question["datatype"]
    if datatype == "number":
        try:
            number = float(value)  # Thai digits are digits too
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            _refuse(question, _l("must be a number"))
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if datatype == "datetime":
        if not _DATETIME.match(value):
            _refuse(question, _l("must be an ISO 8601 date and time, e.g. 2026-11-21T09:30+07:00"))
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            _refuse(question, _l("is not a real date and time"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        return moment.isoformat(timespec="seconds")
    if datatype in LISTS:
        keys = {str(v["key"]) for v in question.get("values", [])}
        if value not in keys:
            _refuse(question, _l("must be one of %(values)s", values=", ".join(sorted(keys))))
        return value
    limit = MAX_TEXT if datatype == "text" else MAX_STRING
    if len(value) > limit:
        _refuse(question, _l("is longer than %(limit)s characters", limit=format(limit, ",")))
    return value if datatype == "text" else " ".join(value.split())  # a string has no line breaks


def check_answers(questions: list[dict], raw: dict) -> dict:
    """{code: answer} for `raw` ({code: str or list of str}, as sent), or a UserError naming the
    question in Thai and English. Empty answers count as not given; unknown codes are refused."""
    by_code = {q["code"]: q for q in questions or []}
    unknown = sorted(str(code) for code in raw if code not in by_code)
    if unknown:
        raise UserError("unknown_question", _l("This type of report asks no question '%(code)s'",
                                               code=unknown[0][:50]), field="attributes")
    answers = {}
    for question in ordered(questions):
        given = raw.get(question["code"])
        values = [str(v).strip() for v in (given if isinstance(given, list | tuple) else [given])
                  if v is not None and str(v).strip()]
        if "\x00" in "".join(values):
            _refuse(question, _l("contains a character that is not allowed"))
        if not values:
            if question.get("required"):
                raise UserError("missing_answer", _l("Please answer: %(question)s",
                                                     question=Localized(question, "description")),
                                field=f"attribute[{question['code']}]")
            continue
        if question["datatype"] == "multivaluelist":
            answers[question["code"]] = list(dict.fromkeys(_one(question, v) for v in values))
        elif len(values) > 1:
            _refuse(question, _l("takes one value only"))
        else:
            answers[question["code"]] = _one(question, values[0])
    return answers


def answer_rows(questions: list[dict], answers: dict, lang: str = "th") -> list[tuple[str, str]]:
    """(question, answer) in words, in the reader's language, for staff pages."""
    rows = []
    for question in ordered(questions):
        if question["code"] not in (answers or {}):
            continue
        names = {str(v["key"]): v[f"name_{lang}"] for v in question.get("values", [])}
        given = answers[question["code"]]
        given = given if isinstance(given, list) else [given]
        rows.append((question[f"description_{lang}"],
                     ", ".join(names.get(str(v), str(v)) for v in given)))
    return rows


_FIELD = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")


def from_form(form) -> dict:
    """{code: [values]} from form fields named attribute[CODE] (or attribute[CODE][], how
    Open311 clients send a multivaluelist), as the web form and Open311 both post them."""
    raw: dict[str, list[str]] = {}
    for field in form:
        match = _FIELD.match(field)
        if match:
            raw.setdefault(match.group(1), []).extend(form.getlist(field))
    return raw
