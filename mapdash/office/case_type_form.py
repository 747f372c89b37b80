"""The case type form of /admin/types: what was typed, the question editor, the checks.

The page is one plain HTML form. What was typed is a `Draft` (text only), so a refused form
comes back exactly as it was sent. The question editor's buttons (add, remove, move a
question or an answer to choose) are submit buttons named `edit`: the page comes back with
the draft changed and nothing stored, so it works without JavaScript. `checked` reads the
draft through the declared fields below (api/params.py) into what office/case_types.py
stores; the checks across fields and rows (the department, unique codes) are that module's.

Fields: code, name_th, ... as named; `limit-STEP-amount` and `-unit` per step of seed 001;
`reg_min_age`, `reg_opens`, `reg_closes` and `reg_documents` (ticked, repeated) for a
registration type;
`q-I-FIELD` per question and `q-I-v-J-FIELD` per answer to choose, I and J from 0.
"""
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field
from werkzeug.datastructures import MultiDict

from mapdash.api.params import IntegerId, OneOf, P, Params, Refusal, parse, whole_number
from mapdash.cases.questions import DATATYPES, LISTS
from mapdash.cases.time_limits import complete
from mapdash.errors import UserError
from mapdash.i18n import _l, _lp
from mapdash.models import DEFAULT_SLA_MINUTES, Category
from mapdash.registrations.rules import MAX_AGE_RULE, Rules
from mapdash.vocabulary import CASE_KINDS, REGISTRATION_DOCUMENTS

TEXT_FIELDS = ("code", "kind", "name_th", "name_en", "icon", "color", "department_id", "sort_order",
               "contact_name", "contact_phone")
FLAGS = ("sensitive", "location_required", "emergency", "active")
# A registration type's rules (registrations/rules.py); the documents are ticked boxes, kept
# in the draft as one comma-separated text.
REGISTRATION_FIELDS = ("reg_min_age", "reg_opens", "reg_closes", "reg_documents")
QUESTION_FIELDS = ("code", "datatype", "required", "description_th", "description_en")
VALUE_FIELDS = ("key", "name_th", "name_en")
STEPS = tuple(DEFAULT_SLA_MINUTES)
UNITS = {"days": 24 * 60, "hours": 60, "minutes": 1}
MAX_LIMIT_MINUTES = 365 * 24 * 60
MAX_QUESTIONS = 20
MAX_VALUES = 30
CODE = r"^[a-z0-9][a-z0-9_-]*$"          # in links (/report/CODE) and Open311's service_code
QUESTION_CODE = r"^[A-Za-z0-9_-]+$"      # in field names, attribute[CODE]

# Seed 001's staff steps, as the form names them.
STEP_LABELS = {
    "acknowledge": _l("See the new-case alert"),
    "check": _l("Check the details sent"),
    "inform": _l("Tell the citizen, ask for what is missing"),
    "print": _l("Print the request form"),
    "set_status": _l("Set the status in the system"),
    "work": _l("Do the work (from the assignment)"),
    "report": _l("Report the result to the citizen"),
}
UNIT_LABELS = {"days": _lp("time limit", "days"), "hours": _lp("time limit", "hours"),
               "minutes": _lp("time limit", "minutes")}
DATATYPE_LABELS = {
    "string": _l("Short text"),
    "text": _l("Long text"),
    "number": _l("Number"),
    "datetime": _l("Date and time"),
    "singlevaluelist": _l("One choice from a list"),
    "multivaluelist": _l("Several choices from a list"),
}

_QUESTION_FIELD = re.compile(r"^q-(\d{1,2})-(%s)$" % "|".join(QUESTION_FIELDS))
_VALUE_FIELD = re.compile(r"^q-(\d{1,2})-v-(\d{1,2})-(%s)$" % "|".join(VALUE_FIELDS))
_EDIT = re.compile(r"^(?:(add)-question|(add)-value-(\d{1,2})|(remove|up|down)-q-(\d{1,2})"
                   r"|(remove|up|down)-v-(\d{1,2})-(\d{1,2}))$")


@dataclass
class Draft:
    """The form as typed: every value a text, questions and their answers in order."""
    fields: dict[str, str]
    limits: dict[str, tuple[str, str]]           # step: (amount, unit)
    questions: list[dict] = field(default_factory=list)  # QUESTION_FIELDS + "values": [dict]


def limit_as_typed(minutes: int) -> tuple[str, str]:
    """7 days rather than 10080 minutes: the largest unit the limit is a whole number of."""
    unit = next(name for name, size in UNITS.items() if minutes % size == 0)
    return str(minutes // UNITS[unit]), unit


def new_draft(icon: str, department_id: int | None) -> Draft:
    """A new type as the form first shows it: active, located on a map, seed 001's limits."""
    fields = dict.fromkeys(TEXT_FIELDS + FLAGS + REGISTRATION_FIELDS, "")
    fields.update(icon=icon, color="#2563eb", department_id=str(department_id or ""),
                  sort_order="0", location_required="1", active="1", kind="report",
                  reg_documents="id_card")
    return Draft(fields, {step: limit_as_typed(m) for step, m in DEFAULT_SLA_MINUTES.items()})


def draft_of(category: Category) -> Draft:
    fields = {name: "" if getattr(category, name) is None else str(getattr(category, name))
              for name in TEXT_FIELDS}
    fields.update({flag: "1" if getattr(category, flag) else "" for flag in FLAGS})
    rules = Rules.of(category.registration)
    fields.update(reg_min_age="" if rules.min_age is None else str(rules.min_age),
                  reg_opens=rules.opens.isoformat() if rules.opens else "",
                  reg_closes=rules.closes.isoformat() if rules.closes else "",
                  reg_documents=",".join(rules.documents))
    questions = [{**{name: str(q.get(name, "")) for name in QUESTION_FIELDS},
                  "required": "1" if q.get("required") else "",
                  "values": [{name: str(v.get(name, "")) for name in VALUE_FIELDS}
                             for v in q.get("values", [])]}
                 for q in sorted(category.questions or [], key=lambda q: q.get("order", 0))]
    limits = complete(category.sla_minutes or {})
    return Draft(fields, {step: limit_as_typed(limits[step]) for step in STEPS}, questions)


def draft_from_form(form: MultiDict) -> Draft:
    fields = {name: form.get(name, "") for name in TEXT_FIELDS + FLAGS + REGISTRATION_FIELDS}
    fields["reg_documents"] = ",".join(form.getlist("reg_documents"))
    limits = {step: (form.get(f"limit-{step}-amount", ""), form.get(f"limit-{step}-unit", ""))
              for step in STEPS}
    questions: dict[int, dict] = {}
    values: dict[tuple[int, int], dict] = {}
    for name in form:
        if match := _QUESTION_FIELD.match(name):
            questions.setdefault(int(match[1]), {})[match[2]] = form.get(name, "")
        elif match := _VALUE_FIELD.match(name):
            values.setdefault((int(match[1]), int(match[2])), {})[match[3]] = form.get(name, "")
    for i, _j in values:  # answers typed under a question whose own fields never came
        questions.setdefault(i, {})
    rows = []
    for i in sorted(questions)[:MAX_QUESTIONS]:
        row = {name: questions[i].get(name, "") for name in QUESTION_FIELDS}
        row["values"] = [{name: values[(q, j)].get(name, "") for name in VALUE_FIELDS}
                         for q, j in sorted(values) if q == i][:MAX_VALUES]
        rows.append(row)
    return Draft(fields, limits, rows)


def _move(items: list, index: int, step: int) -> None:
    if 0 <= index < len(items) and 0 <= index + step < len(items):
        items[index], items[index + step] = items[index + step], items[index]


def apply_edit(draft: Draft, edit: str) -> str | None:
    """Change the draft as the editor's button `edit` says; the id of the row to show."""
    match = _EDIT.match(edit or "")
    if match is None:
        return None
    add_q, add_v, q_for_value, q_action, q_index, v_action, v_q, v_index = match.groups()
    questions = draft.questions
    if add_q and len(questions) < MAX_QUESTIONS:
        questions.append({**dict.fromkeys(QUESTION_FIELDS, ""), "datatype": "string",
                          "values": []})
        return f"q-{len(questions) - 1}"
    if add_v and int(q_for_value) < len(questions):
        rows = questions[int(q_for_value)]["values"]
        if len(rows) < MAX_VALUES:
            rows.append(dict.fromkeys(VALUE_FIELDS, ""))
        return f"q-{q_for_value}"
    if q_action:
        index = int(q_index)
        if q_action == "remove" and index < len(questions):
            del questions[index]
            return "questions"
        _move(questions, index, -1 if q_action == "up" else 1)
        return f"q-{max(0, min(len(questions) - 1, index + (-1 if q_action == 'up' else 1)))}"
    if v_action and int(v_q) < len(questions):
        rows, index = questions[int(v_q)]["values"], int(v_index)
        if v_action == "remove" and index < len(rows):
            del rows[index]
        else:
            _move(rows, index, -1 if v_action == "up" else 1)
        return f"q-{v_q}"
    return None


# --- the declared fields ---------------------------------------------------------------------

_TOO_LONG = Refusal("too_long", _l("This text is too long"))
Name = Annotated[str, Field(max_length=200)]
OptionalName = Annotated[str | None, Field(max_length=200), _TOO_LONG]


class CaseTypeFields(Params):
    code: Annotated[str, Field(max_length=40, pattern=CODE), Refusal(
        "bad_code", _l("The code is small letters a-z, digits, - or _ (at most 40), e.g. "
                       "streetlight: it appears in links and in connected apps"))]
    kind: Annotated[str, OneOf(CASE_KINDS), Refusal(
        "bad_kind", _l("Choose the kind of service"))] = "report"
    name_th: Annotated[Name, Refusal("name_required", _l(
        "Write the name in Thai (at most 200 characters)"))]
    name_en: OptionalName = None
    icon: Annotated[str, Field(max_length=40), Refusal("bad_icon", _l("Choose an icon"))]
    color: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$"), Refusal(
        "bad_color", _l("Write the colour as # and six hexadecimal digits (#rrggbb), "
                        "e.g. #2563eb"))]
    department_id: Annotated[IntegerId, Refusal(
        "bad_department", _l("Choose the department that handles this type"))]
    sort_order: Annotated[int, Field(ge=-1000, le=1000), BeforeValidator(whole_number), Refusal(
        "bad_sort_order", _l("The order is a whole number from -1000 to 1000"))] = 0
    contact_name: OptionalName = None
    contact_phone: Annotated[str | None, Field(max_length=40), _TOO_LONG] = None
    sensitive: bool = False
    location_required: bool = False
    emergency: bool = False
    active: bool = False


_BAD_LIMIT = _l("Each time limit is a whole number, 0 or more, of at most 365 days")


class TimeLimitFields(Params):
    amount: Annotated[int, Field(ge=0, le=MAX_LIMIT_MINUTES), BeforeValidator(whole_number),
                      Refusal("bad_time_limit", _BAD_LIMIT)]
    unit: Annotated[str, OneOf(tuple(UNITS)), Refusal(
        "bad_time_limit", _l("Choose minutes, hours or days"))] = "minutes"


class QuestionFields(Params):
    code: Annotated[str, Field(max_length=50, pattern=QUESTION_CODE),
                    Refusal("bad_question_code", _l("A question's code is letters a-z, digits, - "
                                                    "or _ (at most 50), e.g. pole_number"),
                            when=("string_pattern_mismatch", "string_too_long")),
                    Refusal("question_code_required", _l("Each question needs a code: what "
                                                         "connected apps send, e.g. pole_number"))]
    datatype: Annotated[str, OneOf(DATATYPES), Refusal(
        "bad_datatype", _l("Choose the kind of answer"))] = "string"
    required: bool = False
    description_th: Annotated[str, Field(max_length=500), Refusal("question_required", _l(
        "Write the question in Thai (at most 500 characters)"))]
    description_en: Annotated[str | None, Field(max_length=500), _TOO_LONG] = None


class ValueFields(Params):
    key: Annotated[str, Field(max_length=50, pattern=QUESTION_CODE), Refusal(
        "bad_value_key", _l("Each answer to choose needs a key: letters a-z, digits, - or _ "
                            "(at most 50), e.g. yes"))]
    name_th: Annotated[Name, Refusal("value_name_required", _l(
        "Write each answer to choose in Thai (at most 200 characters)"))]
    name_en: OptionalName = None


class RegistrationFields(Params):
    """A registration type's rules: each may be left empty (no such rule)."""
    reg_min_age: Annotated[int | None, Field(ge=0, le=MAX_AGE_RULE), BeforeValidator(whole_number),
                           Refusal("bad_min_age", _l("The minimum age is a whole number of "
                                                     "years from 0 to 120, or empty"))] = None
    reg_opens: Annotated[date | None, Refusal(
        "bad_window", _l("Choose the first day applications are taken, or leave it empty"))] = None
    reg_closes: Annotated[date | None, Refusal(
        "bad_window", _l("Choose the last day applications are taken, or leave it empty"))] = None
    reg_documents: Annotated[list[Annotated[str, OneOf(REGISTRATION_DOCUMENTS)]], Refusal(
        "bad_document", _l("Tick the documents from the list"))] = []


@dataclass(frozen=True)
class CaseTypeValues:
    """A checked form: the fields, the time limits in minutes, the questions as stored, and
    a registration type's rules (None for the other kinds)."""
    fields: CaseTypeFields
    sla_minutes: dict[str, int]
    questions: list[dict]
    registration: dict | None = None


def _registration(draft: Draft) -> dict:
    typed = parse(RegistrationFields, MultiDict(
        [(name, draft.fields.get(name, "")) for name in REGISTRATION_FIELDS[:3]]
        + [("reg_documents", value) for value in draft.fields.get("reg_documents", "").split(",")
           if value]))
    if typed.reg_opens and typed.reg_closes and typed.reg_closes < typed.reg_opens:
        raise UserError("bad_window", _l("The last day applications are taken comes before "
                                         "the first"), field="reg_closes")
    documents = tuple(purpose for purpose in REGISTRATION_DOCUMENTS
                      if purpose in typed.reg_documents)
    return Rules(typed.reg_min_age, typed.reg_opens, typed.reg_closes, documents).stored()


def _row(model: type[P], values: dict, prefix: str) -> P:
    """A row's fields checked; a refusal names the field as the form does (`q-2-code`)."""
    try:
        return parse(model, MultiDict(values))
    except UserError as refused:
        raise UserError(refused.code, refused.message, field=f"{prefix}{refused.field}",
                        status=refused.status) from None


def _blank(row: dict, names: tuple[str, ...]) -> bool:
    return not any(str(row.get(name, "")).strip() for name in names)


def checked(draft: Draft) -> CaseTypeValues:
    """The draft read through the declared fields, or the UserError of the first at fault.
    Rows left empty (an added question never filled in) are left out; an English text left
    empty is the Thai."""
    fields = parse(CaseTypeFields, MultiDict(draft.fields))
    limits = {}
    for step in STEPS:
        amount, unit = draft.limits[step]
        row = _row(TimeLimitFields, {"amount": amount, "unit": unit}, f"limit-{step}-")
        limits[step] = row.amount * UNITS[row.unit]
        if limits[step] > MAX_LIMIT_MINUTES:
            raise UserError("bad_time_limit", _BAD_LIMIT, field=f"limit-{step}-amount")
    questions: list[dict] = []
    for i, typed in enumerate(draft.questions):
        if _blank(typed, ("code", "description_th", "description_en")) \
                and all(_blank(v, VALUE_FIELDS) for v in typed["values"]):
            continue
        questions.append(_question(typed, i, len(questions) + 1, questions))
    registration = _registration(draft) if fields.kind == "registration" else None
    return CaseTypeValues(fields, limits, questions, registration)


def _question(typed: dict, i: int, order: int, earlier: list[dict]) -> dict:
    question = _row(QuestionFields, {name: typed[name] for name in QUESTION_FIELDS}, f"q-{i}-")
    if any(other["code"] == question.code for other in earlier):
        raise UserError("repeated_question_code", _l(
            "Two questions have the code %(code)s: each needs its own", code=question.code),
            field=f"q-{i}-code")
    answers: list[dict] = []
    if question.datatype in LISTS:
        for j, value in enumerate(typed["values"]):
            if _blank(value, VALUE_FIELDS):
                continue
            row = _row(ValueFields, value, f"q-{i}-v-{j}-")
            if any(other["key"] == row.key for other in answers):
                raise UserError("repeated_value_key", _l(
                    "Two answers to choose have the key %(key)s: each needs its own",
                    key=row.key), field=f"q-{i}-v-{j}-key")
            answers.append({"key": row.key, "name_th": row.name_th,
                            "name_en": row.name_en or row.name_th})
        if not answers:
            raise UserError("list_without_values", _l(
                "A question answered from a list needs at least one answer to choose"),
                field=f"q-{i}-values")
    return {"code": question.code, "datatype": question.datatype,
            "required": question.required, "order": order,
            "description_th": question.description_th,
            "description_en": question.description_en or question.description_th,
            "values": answers}
