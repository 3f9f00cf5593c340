"""Self-service answers: search and suggest (pure), feedback tokens, management and outcomes, the store."""
