"""Parameters declared once (mapdash/api/params.py): the parameters and form body
/api/openapi.json documents for each operation are those of the model its view declares, the
text of a request is read by the same rules everywhere, and no value of any declared
parameter is answered with a 500."""
from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

from mapdash.api.openapi import openapi_document
from mapdash.api.params import form_schema, header_parameters, parse, query_parameters
from mapdash.errors import UserError
from mapdash.integrations.open311.requests import RequestQuery
from mapdash.maps.map_filters import CasesQuery, GridQuery
from mapdash.maps.public_cases import CaseFilter
from tests.support import login
from tests.test_openapi import IGNORED_METHODS, is_documented_kind, openapi_path, shape

DOC = openapi_document()
DISPATCHER, CREW = "dispatcher@demo.mapdash.test", "crew@demo.mapdash.test"


def args(query: str) -> MultiDict:
    return MultiDict(parse_qsl(query, keep_blank_values=True))


def test_each_operation_documents_the_model_its_view_declares(app):
    documented = {shape(path): item for path, item in DOC["paths"].items()}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not is_documented_kind(rule):
            continue
        view = app.view_functions[rule.endpoint]
        query, form = getattr(view, "query_model", None), getattr(view, "form_model", None)
        headers = getattr(view, "header_model", None)
        for method in rule.methods - IGNORED_METHODS:
            operation = documented[shape(openapi_path(rule.rule))][method.lower()]
            in_query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            assert in_query == query_parameters(query), f"{method} {rule.rule}"
            in_header = [p for p in operation.get("parameters", []) if p["in"] == "header"]
            assert in_header == header_parameters(headers), f"{method} {rule.rule}"
            if form is None:
                assert "requestBody" not in operation, f"{method} {rule.rule}"
            else:
                [media] = operation["requestBody"]["content"].values()
                assert media["schema"] == form_schema(form), f"{method} {rule.rule}"
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("query", ["type=a,b", "type=a&type=b", "type=a,,b&type=a",
                                   "type=+a+,+b+&type="])
def test_a_list_is_comma_separated_or_repeated_without_blanks_or_repeats(query):
    assert parse(CasesQuery, args(query)).types == ("a", "b")


def test_an_empty_value_is_not_sent_and_the_default_applies():
    cases = parse(CasesQuery, args("limit=&bbox=+&place=&from="))
    assert (cases.limit, cases.bbox, cases.place, cases.date_from) == (500, None, None, None)
    assert parse(CaseFilter, args("village=%E0%B9%93")).village == 3  # Thai digits are numbers


@pytest.mark.parametrize("model, query, code, field, shown", [
    (CasesQuery, "status=new,resolved,rejected", "bad_status", "status", "resolved, rejected"),
    (CasesQuery, "village=1,two", "bad_village", "village", "two"),
    (CasesQuery, "limit=1e999", "bad_number", "limit", "2000"),
    (GridQuery, "zoom=5", "bad_bbox", "bbox", "bbox"),
    (CaseFilter, "village=%C2%B2", "bad_filter", "village", "village"),
    (RequestQuery, "service_code=" + ",".join(map(str, range(1001))), "too_many",
     "service_code", "1,000"),
    (RequestQuery, "status=open,pending", "bad_status", "status", "open or closed"),
])
def test_a_refusal_has_the_fields_code_and_says_what_was_wrong(model, query, code, field, shown):
    with pytest.raises(UserError) as refused:
        parse(model, args(query))
    assert (refused.value.code, refused.value.field, refused.value.status) == (code, field, 400)
    assert shown in refused.value.message_en and refused.value.message_th


def test_service_request_id_overrides_every_other_filter():
    query = parse(RequestQuery, args("service_request_id=abcd2345&start_date=yesterday"))
    assert query.ids == ("ABCD-2345",) and query.start_date is None


JUNK = ["", " ", "x", "-1", "0", "9" * 5000, "1e999", "NaN", "\u00b2", "a,b,,c",
        "\u0e01\u0e02" * 300, "2026-02-30", "1,2,3,4", "\ud7ff",
        # Past PostgreSQL's integer and bigint, and the ends of Python's time (issue 16).
        "99999999999", str(2**63), "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00"]


def test_no_value_of_any_declared_parameter_is_a_500(demo_app):
    """Every GET of /api/ and /crew/ (Open311's: test_open311_robustness.py), each declared
    parameter with junk, alone and repeated, as the role the endpoint serves."""
    clients = {}
    for role, email in (("dispatch", DISPATCHER), ("crew", CREW), ("public", None)):
        clients[role] = demo_app.test_client()
        if email:
            assert login(clients[role], email, "demo-password").status_code == 302
    tried = 0
    for path, item in DOC["paths"].items():
        if "get" not in item or not path.startswith(("/api/", "/crew/")):
            continue
        client = clients["dispatch" if path.startswith("/api/dispatch/")
                         else "crew" if path.startswith("/crew/") else "public"]
        for parameter in item["get"]["parameters"]:
            for junk in JUNK:
                for values in ([junk], [junk, junk, "1"]):
                    response = client.get(path, query_string={parameter["name"]: values},
                                          headers={"Accept": "application/json"})
                    assert response.status_code < 500, (path, parameter["name"], values)
                    response.close()
                    tried += 1
    assert tried > 1000


def test_a_form_part_without_a_name_is_refused_not_a_500(client):
    """Found by tests/test_fuzz.py: Flask-WTF's CSRF check fails on a nameless part."""
    body = (b'--B\r\nContent-Disposition: form-data; filename="x.jpg"\r\n'
            b'Content-Type: image/jpeg\r\n\r\nabc\r\n--B--\r\n')
    for path in ("/report/streetlight", "/crew/cases/1/close", "/open311/v2/requests.json"):
        answer = client.post(path, data=body, content_type="multipart/form-data; boundary=B")
        assert answer.status_code == 400, path
