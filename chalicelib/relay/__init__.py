"""The masked e-mail relay: relay addresses, inbound mail parsed, outgoing mail built, refusals (pure)."""
