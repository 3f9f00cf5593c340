"""Contact Resolver: models, pure ranking, use cases and thin AWS adapters behind app.py."""
