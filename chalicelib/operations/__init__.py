"""The support and admin console's read side: recent requests, the daily roll-ups, settings history, replies, queues."""
