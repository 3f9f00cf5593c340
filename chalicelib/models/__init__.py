"""Pydantic models: the contract at every edge (HTTP, DynamoDB, SQS). One module per concept; import from them."""
