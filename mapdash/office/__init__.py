"""Running the office: staff accounts and roles, organizations with their departments, case
types and villages, Open311 API keys, and the printed request form."""
