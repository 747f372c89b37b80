"""The words of the domain, each defined once: staff roles, case statuses and the channels a
case comes in by, with their labels in the reader's language; and the shapes of the values
people and programs send (an e-mail address, an idempotency key).

models.py, the CHECK constraints of sql/, the workflow table, the views, the templates (as
globals, see create_app), the pages' JavaScript (through the data the views give it) and the
CLI all use these names. The workflow's actions and what each needs are in cases/workflow.py.
"""
import re

from mapdash.i18n import _l

# --- Staff roles ------------------------------------------------------------------------------
ROLES = ("admin", "dispatcher", "officer", "crew", "executive")
# Who works cases at the office: the live map, the case panel, the request form.
OFFICE_ROLES = ("admin", "dispatcher", "officer")
# Not an account: a reporter answering a staff question (the workflow's "reply").
CITIZEN = "citizen"
CITIZEN_LABEL = _l("Citizen")  # who acted, in a case's record
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "dispatcher": _l("Dispatcher"),
    "officer": _l("Department officer"),
    "crew": _l("Field crew"),
    "executive": _l("Executive (statistics only)"),
}
# Who writes the news (mapdash/news): the administrator, and the dispatcher who runs the front
# office and its LINE Official Account, where seed 004's news menu is.
NEWS_ROLES = ("admin", "dispatcher")
# Who sees the statistics and the monthly report (an officer: their department's only).
STATS_ROLES = ("admin", "executive", "officer")

# --- Case statuses ---------------------------------------------------------------------------
OPEN_STATUSES = ("new", "accepted", "info_requested", "assigned", "in_progress")
# referred: handed to an outside agency (electricity, water, highways), out of our hands.
# cancelled: an appointment the citizen called off themselves (services/bookings.py).
CLOSED_STATUSES = ("resolved", "rejected", "duplicate", "referred", "cancelled")
STATUSES = OPEN_STATUSES + CLOSED_STATUSES
# The public list and the open data take "open" for every status not yet done.
ANY_OPEN = "open"
STATUS_LABELS = {
    "new": _l("New"),
    "accepted": _l("Accepted"),
    "info_requested": _l("More information requested"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "resolved": _l("Done"),
    "rejected": _l("Rejected"),
    "duplicate": _l("Duplicate"),
    "referred": _l("Referred to another agency"),
    "cancelled": _l("Cancelled by the citizen"),
}
# A closing whose evidence a dispatcher still checks is not "Done" to the public yet.
UNDER_REVIEW_LABEL = _l("Reported done, being checked")

# --- Kinds of service a case type offers -----------------------------------------------------
# The manuals' e-services (seeds 000, 003, 004) besides problem reports: what a type's form
# asks for, how its tracking page reads and which extra record a case of it carries. A
# type's kind is chosen when it is added, like its code.
CASE_KINDS = ("report", "appointment", "information", "proposal", "registration", "payment")
CASE_KIND_LABELS = {
    "report": _l("Problem report"),
    "appointment": _l("Appointment or booking"),
    "information": _l("Information request"),
    "proposal": _l("Proposal for the development plan"),
    "registration": _l("Registration with documents"),
    "payment": _l("Fee or tax payment"),
}

# What staff decide on a proposal for the local development plan (cases/proposals.py): taken
# into the plan of a Buddhist Era year, merged into another proposal, or not taken. The
# workflow actions that decide it are in cases/workflow.py.
PROPOSAL_OUTCOMES = ("taken", "merged", "not_taken")
PROPOSAL_OUTCOME_LABELS = {
    "taken": _l("Taken into the development plan"),
    "merged": _l("Merged with another proposal"),
    "not_taken": _l("Not taken into the plan"),
}
UNDECIDED_PROPOSAL_LABEL = _l("Waiting for the plan's decision")
# How the citizen receives the information they asked for (an information request).
INFORMATION_DELIVERIES = ("email", "office", "post")
INFORMATION_DELIVERY_LABELS = {
    "email": _l("A copy by e-mail"),
    "office": _l("Collect it at the office"),
    "post": _l("A copy by post"),
}
# The documents a registration type may require (sql/034, registrations/rules.py); each is
# a private document of the case (cases/documents.py), stored under this purpose.
REGISTRATION_DOCUMENTS = ("id_card", "house_registration", "bank_book", "disability_card",
                          "other")
REGISTRATION_DOCUMENT_LABELS = {
    "id_card": _l("ID card"),
    "house_registration": _l("House registration (tabien baan)"),
    "bank_book": _l("Bank book, page with the account number"),
    "disability_card": _l("Disability ID card"),
    "other": _l("Other supporting document"),
}

# --- Channels a case comes in by ---------------------------------------------------------------
CHANNELS = ("web", "line", "open311", "staff", "demo", "phone", "counter", "letter", "facebook")
CHANNEL_LABELS = {
    "web": _l("Website"),
    "line": _l("LINE"),
    "open311": _l("Connected app (Open311)"),
    "staff": _l("Entered by staff"),
    "demo": _l("Demo data"),
    "phone": _l("By phone"),
    "counter": _l("At the counter"),
    "letter": _l("By letter"),
    "facebook": _l("Facebook"),
}
# How a request staff enter for a citizen reached the office (the staff intake form).
STAFF_CHANNELS = ("phone", "counter", "letter", "facebook")

# --- Shapes of values ------------------------------------------------------------------------
# Deliberately loose: one @, a dot in the domain, no spaces. The mail server has the last word.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The key a form or an app sends so that a request sent twice is stored once.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# --- Priorities staff give a case ----------------------------------------------------------
PRIORITIES = ("normal", "high", "urgent")
PRIORITY_LABELS = {
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}

# --- Payments (seed 004) ---------------------------------------------------------------------
# What a payment case pays: a household's garbage fee for some months, or a tax for a year.
PAYS_FOR = ("garbage_fee", "tax")
# The local taxes a citizen pays by transfer (the land and buildings tax act B.E. 2562, and the
# signboard tax); "other" for a fee or tax not listed.
TAX_KINDS = ("land_building", "signboard", "other")
TAX_KIND_LABELS = {
    "land_building": _l("Land and buildings tax"),
    "signboard": _l("Signboard tax"),
    "other": _l("Other tax or fee"),
}
