"""Finding any case (/dispatch/cases) among every case, open and closed, signed in as the demo
dispatcher, each next to the same search run directly (search.search_cases)."""
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.cases import search
from mapdash.demo.load import DEMO_PASSWORD
from mapdash.models import Incident, User

CODE = "K7PQ-M3XW"  # given to one closed synthetic case (theirs are SYN-<id>)


def run(ctx) -> None:
    client = ctx.app.test_client()
    client.post("/login", data={"email": "dispatcher@demo.mapdash.test", "password": DEMO_PASSWORD})
    engine = ctx.app.extensions["db_engine"]
    with Session(engine) as session:
        closed = session.scalar(select(Incident.id).where(Incident.status == "resolved")
                                .order_by(Incident.id).offset(ctx.incidents // 3).limit(1))
        session.execute(text("UPDATE incidents SET tracking_code = :code WHERE id = :id"),
                        {"code": CODE, "id": closed})
        session.commit()
        phone = session.scalar(select(Incident.reporter_phone).where(Incident.id == closed)) or ""
        user = session.scalars(select(User).where(User.email == "dispatcher@demo.mapdash.test")).one()

        def same(**params):
            def direct():
                search.search_cases(session, user, search.CaseListQuery(**params))
                session.rollback()
            return direct

        def page(**params):
            return lambda: _ok(client.get("/dispatch/cases", query_string=params))

        for name, params, floor in (
            ("tracking code as typed (lower case, no dash)", {"q": CODE.replace("-", "").lower()}, 50),
            ("phone number as typed (081-...)", {"q": f"{phone[:3]}-{phone[3:6]} {phone[6:]}"}, 50),
            ("end of a phone number (7 digits)", {"q": phone[-7:]}, 50),
            ("Thai text, a name (1 case in 100)", {"q": "จันทร์เพ็ญ แสงทอง"}, 300),
            ("Thai text, a house number (1 in 1,000)", {"q": "บ้านเลขที่ 512"}, 300),
            ("Thai text, common words (1 case in 8)", {"q": "ท่อระบาย"}, 300),
            ("Thai text + a closed status + a village", {"q": "หลุมลึก", "status": ["resolved"],
                                                          "village": ["3"]}, 300),
        ):
            ctx.measure(f"GET /dispatch/cases search: {name}", page(**params),
                        sql=same(**params), floor_ms=floor)
        for name, params in (("newest first", {}), ("page 20", {"page": "20"}),
                             ("closed, by village", {"status": ["resolved"], "sort": "village"}),
                             ("by status", {"sort": "status"})):
            ctx.measure(f"GET /dispatch/cases list: {name}", page(**params), sql=same(**params),
                        floor_ms=200, repeat=20)


def _ok(response):
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)[:200]}")
