"""The CHECK constraints of sql/ allow exactly the values of the one vocabulary (vocabulary.py,
the outbox's message kinds): two migrations written side by side each redefined one of them,
and the later one silently dropped the other's value."""
import re

import pytest
from sqlalchemy import text

from mapdash.integrations.notify.admin import KIND_LABELS
from mapdash.news.line_push import AUDIENCES
from mapdash.vocabulary import (
    CASE_KINDS,
    CHANNELS,
    INFORMATION_DELIVERIES,
    PAYS_FOR,
    PRIORITIES,
    PROPOSAL_OUTCOMES,
    ROLES,
    STATUSES,
    TAX_KINDS,
)


@pytest.mark.parametrize("constraint, values", [
    ("incidents_status_check", STATUSES),
    ("incidents_channel_check", CHANNELS),
    ("incidents_priority_check", PRIORITIES),
    ("users_role_check", ROLES),
    ("categories_kind_check", CASE_KINDS),
    ("information_requests_delivery_check", INFORMATION_DELIVERIES),
    ("payments_pays_for_check", PAYS_FOR),
    ("payments_tax_kind_check", TAX_KINDS),
    ("notifications_kind_check", tuple(KIND_LABELS)),
    ("proposals_outcome_check", PROPOSAL_OUTCOMES),
    ("announcements_line_audience_check", AUDIENCES),
])
def test_the_database_allows_every_value_of_the_vocabulary_and_no_other(session, constraint,
                                                                        values):
    definition = session.scalar(text(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"),
        {"name": constraint})
    assert definition is not None, constraint
    assert set(re.findall(r"'([^']*)'::text", definition)) == set(values)
