"""The e-services that are cases of their own kind (vocabulary.CASE_KINDS): their forms' checks,
their side tables and what staff do with them."""
