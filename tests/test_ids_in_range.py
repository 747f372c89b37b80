"""Every id in a URL or a form is range-checked before it reaches SQL (issue 16): an id past
its column's type (integer or bigint in sql/), zero, negative or 5,000 digits long is a 4xx
in Thai and English for every role, never a 500."""
import re

import pytest

from mapdash.models import BIGINT_MAX, INTEGER_MAX
from tests.support import csrf_token, login

ROLES = {"anonymous": None, "admin": "admin@demo.mapdash.test",
         "dispatcher": "dispatcher@demo.mapdash.test", "crew": "crew@demo.mapdash.test"}
TOO_BIG = [str(BIGINT_MAX + 1), "9" * 23, "9" * 5000]
NOT_IDS = ["0", "-1", "00", "1.5", "1e3"]
# What each form of these routes takes, so that the view itself runs when the URL matches.
FORM = {"action": "assign", "assignee_id": "1", "note": "x", "result": "fixed",
        "idempotency_key": "0f2b5c1e-8d7a-4a4e-9a51-3f0d2b6c7e10"}


@pytest.fixture
def clients(demo_app):
    """A client per role, with the CSRF token its session keeps: the view itself answers."""
    made = {}
    for role, email in ROLES.items():
        client = demo_app.test_client()
        token = csrf_token(client, "/login")
        if email:
            assert login(client, email, "demo-password").status_code == 302
        made[role] = (client, token)
    return made


def routes_with_an_id(app):
    """(rule, its id arguments) of every route whose URL holds an id."""
    return [(rule, sorted(name for name in rule.arguments if name.endswith("_id")))
            for rule in app.url_map.iter_rules() if any(a.endswith("_id") for a in rule.arguments)]


def url(rule, value: str) -> str:
    return re.sub(r"<[^<>]+>", value, rule.rule)


def send(signed_in, method: str, path: str):
    client, token = signed_in
    return client.open(path, method=method, data=FORM, headers={
        "X-CSRFToken": token, "Accept": "application/json"})


def test_every_id_in_a_url_has_the_range_of_its_column(demo_app):
    routes = routes_with_an_id(demo_app)
    assert len(routes) >= 9  # cases, photos, notifications, departments
    for rule, names in routes:
        for name in names:
            converter = rule._converters[name]
            assert (converter.min, converter.max) in ((1, BIGINT_MAX), (1, INTEGER_MAX)), rule.rule


def test_no_id_out_of_range_is_a_500_for_any_role(demo_app, clients):
    tried = 0
    for rule, _names in routes_with_an_id(demo_app):
        limit = rule._converters[_names[0]].max
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role, client in clients.items():
                for value in [*TOO_BIG, str(limit + 1), *NOT_IDS]:
                    response = send(client, method, url(rule, value))
                    assert response.status_code == 404, (role, method, rule.rule, value[:30])
                    answer = response.get_json()
                    assert answer["message_th"] and answer["message_en"]
                    tried += 1
                # The largest id of the column is a real question, answered "no such thing".
                response = send(client, method, url(rule, str(limit)))
                assert 300 <= response.status_code < 500, (role, method, rule.rule)
    assert tried >= 300


@pytest.mark.parametrize("method, path, role", [
    ("GET", "/photos/99999999999999999999999", "anonymous"),
    ("GET", "/photos/99999999999999999999999/thumb", "anonymous"),
    ("POST", "/crew/cases/99999999999999999999999/close", "crew"),
    ("POST", "/dispatch/cases/99999999999999999999999/actions", "dispatcher"),
    ("GET", "/dispatch/cases/99999999999999999999999", "dispatcher"),
    ("POST", "/dispatch/cases/99999999999999999999999/form.pdf", "dispatcher"),
])
def test_the_ids_of_the_report_are_not_found(clients, method, path, role):
    response = send(clients[role], method, path)
    assert response.status_code == 404
    assert "ไม่พบ" in response.get_json()["message_th"]
