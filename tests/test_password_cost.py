"""The argon2 cost is a setting: new hashes take it, hashes made at another cost still verify."""
from argon2 import PasswordHasher

from mapdash import config
from mapdash.models import User
from mapdash.office.auth import create_user
from tests.factories import make_org
from tests.support import login

PASSWORD = "correct horse battery"


def test_the_default_cost_is_argon2s_own():
    settings = config.load({"ENV": "development", "SECRET_KEY": "x"})
    default = PasswordHasher()
    assert (settings["ARGON2_TIME_COST"], settings["ARGON2_MEMORY_KIB"], settings["ARGON2_PARALLELISM"]) \
        == (default.time_cost, default.memory_cost, default.parallelism)


def test_new_hashes_take_the_configured_cost(app, session):
    user = create_user(session, organization_id=make_org(session).id, email="a@example.test",
                       password=PASSWORD, role="admin")
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_a_hash_made_at_another_cost_still_verifies(app, client, session):
    user = create_user(session, organization_id=make_org(session).id, email="a@example.test",
                       password=PASSWORD, role="admin")
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=2).hash(PASSWORD)
    session.commit()
    assert login(client, "a@example.test", PASSWORD).status_code == 302
    assert login(client, "a@example.test", "wrong password!").status_code == 401
    assert session.get(User, user.id).password_hash.startswith("$argon2id$v=19$m=1024,t=2,p=2$")
