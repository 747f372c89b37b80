"""Households (seed 002): the houses of the organization's survey, each with a QR sticker.

survey_file reads an uploaded CSV or GeoJSON, checks checks every row against the villages
and the households already stored, uploads keeps a checked file until the administrator
confirms it, register adds, moves and deletes households, stickers prints the A4 sticker
sheets, preset keeps the household of a scanned sticker in the citizen's browser, and layer
gives the staff maps their points. Households are not cases: no personal data, only a house
number, a village, a place and a random key.
"""
