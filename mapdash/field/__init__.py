"""Field crews: the cases on a crew member's map, starting work, closing with photo evidence,
and the checks on that evidence."""
