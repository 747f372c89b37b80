"""The machine-readable description of the JSON API (OpenAPI 3.1)."""
