"""The administrators' pages (/admin/...), signed in as the demo admin among every case, each
next to the queries behind it run directly. Most read a few rows; the case type's page also
counts its open cases still on earlier time limits, and the notifications page counts the
outbox: those two grow with the cases."""
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.demo.load import DEMO_PASSWORD
from mapdash.integrations.notify import admin as notify_admin
from mapdash.models import Category, User
from mapdash.office import case_types, changes, departments, response_templates, staff


def run(ctx) -> None:
    client = ctx.app.test_client()
    client.post("/login", data={"email": "admin@demo.mapdash.test", "password": DEMO_PASSWORD})
    engine = ctx.app.extensions["db_engine"]
    with Session(engine) as session:
        admin = session.scalars(select(User).where(User.email == "admin@demo.mapdash.test")).one()
        org = admin.organization_id
        light = session.scalars(select(Category).where(
            Category.organization_id == org, Category.code == "streetlight")).one()

        def direct(*queries):
            def run_all():
                for query in queries:
                    query()
                session.rollback()
            return run_all

        for path, sql in (
            ("/admin/", None),
            ("/admin/staff/", direct(lambda: staff.listing(session, org, datetime.now(UTC)),
                                     lambda: departments.listing(session, org))),
            (f"/admin/staff/{admin.id}", None),
            ("/admin/departments/", direct(lambda: departments.listing(session, org),
                                           lambda: departments.officers(session, org))),
            ("/admin/organization/", None),
            ("/admin/types/", direct(lambda: case_types.list_types(session, org))),
            (f"/admin/types/{light.id}", direct(
                lambda: case_types.open_cases_on_earlier_limits(session, light))),
            ("/admin/villages/", None),
            ("/admin/templates/", direct(lambda: response_templates.list_templates(session, org))),
            ("/admin/changes", direct(lambda: changes.recent(session, org))),
            ("/admin/notifications/", direct(lambda: notify_admin.problems(session, org),
                                             lambda: notify_admin.counts(session, org))),
            ("/admin/sign-in/", None),
            ("/admin/api-keys", None),
        ):
            ctx.measure(f"GET {path}", _page(client, path), sql=sql, floor_ms=100, repeat=20)


def _page(client, path):
    def get():
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return get
