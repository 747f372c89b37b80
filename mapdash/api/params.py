"""Request parameters declared once: a pydantic model per endpoint's query string or form
checks the request and writes that endpoint's parameters in /api/openapi.json.

A view declares what it takes, and gets the checked model as `query=`, `form=` or `headers=`
(a request header a client may send, e.g. Open311's Idempotency-Key):

    @bp.get("/api/dispatch/changes")
    @accepts(query=ChangesQuery)
    def dispatch_changes(query: ChangesQuery): ...

Query strings and forms are text. A scalar field reads the first value sent, stripped; an
empty one counts as not sent (the default applies). A list field reads every value sent, each
split at commas (`x=a,b` or `x=a&x=b`), blanks and repeats dropped. A list of `Upload`s reads
the files sent under its name.

Every refusal is a UserError, answered in Thai and English with the same code as any other.
A validator or a model's check across fields may raise one itself; any other failure of a
field is answered by the `Refusal` declared on it: the one whose `when` names the pydantic
error type, else the one without `when`.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Annotated, Any, TypeVar, get_args, get_origin

from flask import request
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import core_schema
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l
from mapdash.models import BIGINT_MAX, INTEGER_MAX

REJECTED = object()  # a Refusal's message parameter that shows what was rejected
# The failures of a number that is out of its range (or not a finite number at all).
OUT_OF_RANGE = ("greater_than_equal", "less_than_equal", "finite_number")
_LISTS = (list, tuple, set, frozenset)


@dataclass(frozen=True)
class Refusal:
    """How a field's failure is answered: a code for programs and a message for people."""
    code: str
    message: LazyText
    when: tuple[str, ...] = ()   # the pydantic error types it answers; () answers any other
    field: str | None = None     # the `field` of the answer; default: the parameter's name
    status: int = 400

    def error(self, name: str, rejected: str = "") -> UserError:
        message = self.message
        if REJECTED in message.params.values():
            message = LazyText(message.msgid, {key: rejected if value is REJECTED else value
                                               for key, value in message.params.items()},
                               message.context)
        return UserError(self.code, message, field=self.field or name, status=self.status)


@dataclass(frozen=True)
class OneOf:
    """One of these words (an enum in the document): a Literal for a vocabulary's tuple,
    which a type checker cannot read as one."""
    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        words = core_schema.literal_schema(list(self.values))
        return core_schema.nullable_schema(words) if type(None) in get_args(source) else words


@dataclass(frozen=True)
class Encoding:
    """How a form field is sent (the OpenAPI encoding of its request body)."""
    how: dict = field(default_factory=dict)


class _FileMarker:
    pass


_FILE = _FileMarker()
# A file of a multipart form: read from the files sent, documented as binary.
Upload = Annotated[Any, _FILE, WithJsonSchema({"type": "string", "format": "binary"})]


def whole_number(value: Any) -> Any:
    """int() of the text: Thai digits welcome, "²" or "1.5" not; no 5,000-digit numbers."""
    if isinstance(value, str):
        if len(value) > 20:  # any bigint; a longer number is refused by its range anyway
            raise ValueError("too many digits")
        return int(value)
    return value


def decimal_number(value: Any) -> Any:
    """float() of the text (Thai digits welcome); "1e999" is infinite, refused later."""
    if isinstance(value, str):
        if len(value) > 50:
            raise ValueError("too many digits")
        return float(value)
    return value


def _coordinate(axis: LazyText, field: str, low: int, high: int) -> tuple[Refusal, Refusal]:
    """The refusals of a coordinate, as the report form gives them (intake.parse_coordinate)."""
    return (Refusal("bad_coordinate", _l("The %(axis)s coordinate must be a number", axis=axis),
                    field=field),
            Refusal("bad_coordinate", _l("The %(axis)s coordinate must be between %(low)s and %(high)s",
                                         axis=axis, low=low, high=high), when=OUT_OF_RANGE, field=field))


_LON_NOT_A_NUMBER, _LON_OUT_OF_RANGE = _coordinate(_l("longitude"), "longitude", -180, 180)
_LAT_NOT_A_NUMBER, _LAT_OUT_OF_RANGE = _coordinate(_l("latitude"), "latitude", -90, 90)
Longitude = Annotated[float, Field(
    ge=-180, le=180, allow_inf_nan=False, description="Longitude, degrees (EPSG:4326)."),
    BeforeValidator(decimal_number), _LON_NOT_A_NUMBER, _LON_OUT_OF_RANGE]
Latitude = Annotated[float, Field(
    ge=-90, le=90, allow_inf_nan=False, description="Latitude, degrees (EPSG:4326)."),
    BeforeValidator(decimal_number), _LAT_NOT_A_NUMBER, _LAT_OUT_OF_RANGE]

# A page of a long list (?page=N).
PageNumber = Annotated[int, Field(ge=1, le=10_000, description="The page, from 1."),
                       BeforeValidator(whole_number),
                       Refusal("bad_page", _l("The page number is not valid"), field="page")]

# The id of a row of an integer (serial) or a bigint (bigserial) column, in a query or a form.
IntegerId = Annotated[int, Field(ge=1, le=INTEGER_MAX), BeforeValidator(whole_number)]
BigintId = Annotated[int, Field(ge=1, le=BIGINT_MAX), BeforeValidator(whole_number)]


class IntegerIdConverter(IntegerConverter):
    """An id of an integer column in a URL (`<integer_id:department_id>`): digits only (never
    5,000 of them), 1 to INTEGER_MAX. Anything else matches no route: a 404 before any SQL."""
    regex = r"\d{1,10}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=INTEGER_MAX)


class BigintIdConverter(IntegerConverter):
    """An id of a bigint column in a URL (`<bigint_id:incident_id>`), as IntegerIdConverter."""
    regex = r"\d{1,19}"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=BIGINT_MAX)


# For Flask's url_map (create_app): `<integer_id:...>` and `<bigint_id:...>` in routes.
ID_CONVERTERS = {"integer_id": IntegerIdConverter, "bigint_id": BigintIdConverter}

# For a field that declares no Refusal: plain text, which only odd input makes fail.
_DEFAULT_REFUSAL = Refusal("bad_parameter", _l("The parameter %(name)s is not valid",
                                               name=REJECTED))


class Params(BaseModel):
    """What one endpoint takes from a query string or a form. Parameters not declared are
    ignored, as before; a model is a value (frozen), built by name or by parameter name."""
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True,
                              validate_by_name=True, validate_by_alias=True)

    def __init__(self, **values: Any):
        """Built from text in code too (a test, a form kept offline): refused the same way."""
        try:
            super().__init__(**values)
        except ValidationError as failure:
            raise _answer(type(self), failure.errors()) from None

    @model_validator(mode="before")
    @classmethod
    def _empty_is_not_sent(cls, values: Any) -> Any:
        """As in raw(), for a model built in code from the texts a form sent."""
        if isinstance(values, dict):
            return {key: value for key, value in values.items() if value != ""}
        return values

    @classmethod
    def raw(cls, values: MultiDict, files: MultiDict) -> dict[str, Any]:
        """The request's text, field by field (module docstring): what the model checks."""
        raw: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            key = info.alias or name
            if _is_upload_list(info):
                raw[key] = [upload for upload in files.getlist(key) if upload.filename]
            elif get_origin(info.annotation) in _LISTS:
                items = [part.strip() for value in values.getlist(key) for part in value.split(",")]
                if any(items):
                    raw[key] = list(dict.fromkeys(item for item in items if item))
            elif (value := values.get(key, "").strip()):
                raw[key] = value
        return raw

    @classmethod
    def refusal(cls, name: str, error_type: str = "") -> Refusal:
        """The Refusal of a field (by parameter name) for a pydantic error type."""
        info = _by_parameter(cls)[name]
        declared = [item for item in (*info.metadata, *_nested_metadata(info.annotation))
                    if isinstance(item, Refusal)]
        return next((item for item in declared if error_type in item.when),
                    next((item for item in declared if not item.when), _DEFAULT_REFUSAL))

    @classmethod
    def refuse(cls, name: str) -> UserError:
        """The answer to a field's failure, for a model's own check across fields."""
        return cls.refusal(name).error(name, name)


P = TypeVar("P", bound=Params)


def _by_parameter(model: type[Params]) -> dict[str, FieldInfo]:
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _nested_metadata(annotation: Any) -> list:
    """What Annotated types inside a field's type carry (`Latitude | None`), outer first."""
    found = list(getattr(annotation, "__metadata__", ()))
    for inner in get_args(annotation):
        found += _nested_metadata(inner)
    return found


def _is_upload_list(info: FieldInfo) -> bool:
    args = get_args(info.annotation)
    return get_origin(info.annotation) in _LISTS and bool(args) \
        and _FILE in getattr(args[0], "__metadata__", ())


def parse(model: type[P], values: MultiDict, files: MultiDict | None = None) -> P:
    """The checked model, or the UserError of the first field at fault."""
    try:
        return model.model_validate(model.raw(values, files or MultiDict()))
    except ValidationError as failure:
        raise _answer(model, failure.errors()) from None


def _answer(model: type[Params], errors: list) -> UserError:
    first = errors[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, UserError):
        return cause
    name = str(first["loc"][0]) if first["loc"] else ""
    if name not in _by_parameter(model):  # a check across fields that raised no UserError
        return _DEFAULT_REFUSAL.error(name, name)
    refusal = model.refusal(name, first["type"])
    if refusal is _DEFAULT_REFUSAL:
        return refusal.error(name, name)
    rejected = [error["input"] for error in errors if error["loc"][:1] == (name,)
                and model.refusal(name, error["type"]) == refusal]
    shown = ", ".join(str(value)[:100] for value in rejected if isinstance(value, str | int | float))
    return refusal.error(name, shown or name)


def accepts(query: type[Params] | None = None, form: type[Params] | None = None,
            headers: type[Params] | None = None):
    """The view gets `query=` (from the query string), `form=` (from the form body and its
    files) and/or `headers=` (from the request's headers, a field's alias being the header's
    name), checked; a refusal is a UserError (400 unless the field says)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if query is not None:
                kwargs["query"] = parse(query, request.args)
            if form is not None:
                kwargs["form"] = parse(form, request.form, request.files)
            if headers is not None:  # Werkzeug spells each name as its alias: Idempotency-Key
                kwargs["headers"] = parse(headers, MultiDict(list(request.headers.items())))
            return view(*args, **kwargs)
        # For tests/test_params.py: the document must list what the view really takes.
        wrapped.query_model = query  # type: ignore[attr-defined]
        wrapped.form_model = form  # type: ignore[attr-defined]
        wrapped.header_model = headers  # type: ignore[attr-defined]
        return wrapped
    return decorator


# --- the parameters in /api/openapi.json ----------------------------------------------------

def _plain(schema: dict) -> dict:
    """A field's JSON schema as a parameter's: no title, no null and no empty default (a
    parameter not sent is not null, nor an empty list)."""
    schema = {key: value for key, value in schema.items() if key != "title"}
    variants = schema.pop("anyOf", None)
    if variants is not None:
        kept = [variant for variant in variants if variant != {"type": "null"}]
        schema = {**kept[0], **schema} if len(kept) == 1 else {"anyOf": kept, **schema}
    if schema.get("default", 0) in (None, [], {}):  # not sent: nothing
        del schema["default"]
    return schema


def _schema(model: type[Params]) -> dict:
    schema = model.model_json_schema(by_alias=True)
    if "$defs" in schema:
        raise TypeError(f"{model.__name__}: a parameter must be a plain type, not a model")
    return schema


def query_parameters(model: type[Params] | None) -> list[dict]:
    """OpenAPI parameter objects (in: query) for each field of the model."""
    return _parameters(model, "query")


def header_parameters(model: type[Params] | None) -> list[dict]:
    """OpenAPI parameter objects (in: header) for each field of the model."""
    return _parameters(model, "header")


def _parameters(model: type[Params] | None, where: str) -> list[dict]:
    if model is None:
        return []
    schema = _schema(model)
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _plain(prop)
        parameter = {"name": name, "in": where, "required": name in schema.get("required", ()),
                     "schema": prop}
        description = prop.pop("description", "")
        if prop.get("type") == "array":  # Params.raw: a, b or a repeated parameter
            description = f"{description} Comma-separated, or the parameter repeated.".strip()
            parameter.update(style="form", explode=False)
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def form_schema(model: type[Params]) -> dict:
    """The JSON schema of a form body: one property per field."""
    schema = _schema(model)
    return {"type": "object", "required": schema.get("required", []),
            "properties": {name: _plain(prop) for name, prop in schema["properties"].items()}}


def form_body(model: type[Params], media: str) -> dict:
    """An OpenAPI requestBody of the model as `media` (a form or a multipart form)."""
    encoding = {name: item.how for name, info in _by_parameter(model).items()
                for item in info.metadata if isinstance(item, Encoding)}
    content: dict[str, Any] = {"schema": form_schema(model)}
    if encoding:
        content["encoding"] = encoding
    return {"required": True, "content": {media: content}}
