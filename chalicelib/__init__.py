"""Contact Resolver: what ships in the Lambdas besides app.py. The map and the import rule: docs/architecture.md."""
