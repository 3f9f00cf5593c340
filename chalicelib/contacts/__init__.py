"""Which channels a buyer may use, in which order: ranking, hours, the reveal limit, texts (pure); the resolution."""
