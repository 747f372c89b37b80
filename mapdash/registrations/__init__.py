"""Registrations with documents (issue 14, seed 003): the elderly and disability allowances
and any like them an administrator defines. rules.py holds the checks that need no database
(the ID number, ages, the fiscal year, the window, masking); applications.py stores and reads
the applications; export.py writes a fiscal year's approved list."""
