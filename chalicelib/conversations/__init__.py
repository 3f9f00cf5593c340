"""Conversations the platform carries between a buyer and a seller: rules (pure), store, use cases."""
