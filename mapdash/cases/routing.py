"""Which department takes each case type: table-driven and pure (no database, no Flask).

The table is seed 000's: engineering (kong chang) takes streetlights, water and roads; public
health takes accidents and emergencies; the chief administrator's office (samnak palat) takes
fire, drug tips, information, appointments and development-plan proposals; social welfare
takes the allowance registrations (seed 003); the finance division (kong khlang) takes fee
and tax payments (seed 004). When an
organization is set up, each of its case types is given its department from here and stored
on the type, so intake reads it with the type itself.
"""
from collections.abc import Mapping

ROUTES = {
    "streetlight": "engineering",
    "water": "engineering",
    "road": "engineering",
    "ems": "public_health",
    "fire": "chief_admin",
    "drug_tip": "chief_admin",
    "info_request": "chief_admin",
    "appointment": "chief_admin",
    "dev_plan": "chief_admin",
    "disaster": "disaster",
    "nuisance": "public_health",
    "complaint": "legal",
    "elderly_allowance": "welfare",
    "disability_allowance": "welfare",
    "garbage_fee": "finance",  # seed 004: the finance division issues the receipt
    "local_tax": "finance",
}

FALLBACK_DEPARTMENT = "chief_admin"  # the chief administrator's office takes the rest


def department_for(category_code: str, routes: Mapping[str, str] = ROUTES) -> str:
    """The code of the department that takes cases of `category_code`."""
    return routes.get(category_code, FALLBACK_DEPARTMENT)
