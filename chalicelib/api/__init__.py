"""The HTTP edge, the only package that imports Chalice: one Blueprint per route group, parsing, responses, OpenAPI."""
