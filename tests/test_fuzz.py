"""A property-based run of the JSON API: schemathesis generates requests from
/api/openapi.json for every operation, anonymously and signed in as each role, and no
answer may be a 5xx or stray from the document (issue 16). Bounded and derandomized, so
a run is the same every time."""
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from mapdash.demo.load import DEMO_PASSWORD
from tests.support import login

ROLES = ("anonymous", "admin", "dispatcher", "officer", "crew")
EXAMPLES = 25  # per operation and role
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def session_cookie(app, role: str) -> dict:
    if role == "anonymous":
        return {}
    client = app.test_client()
    login(client, f"{role}@demo.mapdash.test", DEMO_PASSWORD)
    return {"session": client.get_cookie("session").value}


def _summary(failure: Exception) -> str:
    found = getattr(failure, "exceptions", None) or [failure]
    return "; ".join(f"{type(f).__name__}: {str(f).splitlines()[0][:200]}" for f in found)


@pytest.mark.parametrize("role", ROLES)
def test_no_5xx_and_every_answer_as_documented(role, demo_app):
    demo_app.config["RATELIMIT_ENABLED"] = False  # many reports from one address, on purpose
    demo_app.config["LIVE_STREAM_SECONDS"] = 0  # a live stream: its first answer, then its end
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", demo_app)
    cookies = session_cookie(demo_app, role)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],  # report, don't shrink: bounded
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            # Uncompressed: the WSGI client does not decode (tests/test_transfer.py checks it).
            response = case.call(cookies=cookies, headers={"Accept-Encoding": "identity"})
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # a group of the failed checks
            failures.append(f"{operation.label}: {_summary(failure)}")
    assert not failures, "\n".join(failures)
