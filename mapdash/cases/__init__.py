"""Cases from report to closing: one intake for every channel, the workflow table and its
clock, what citizens see of a case and how they answer staff, photos, and routing."""
