"""`fulfil validate` and `fulfil run` (filled in by the foundation work)."""
