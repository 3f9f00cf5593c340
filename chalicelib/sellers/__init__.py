"""A seller's own channel settings: the use cases and their DynamoDB store."""
