"""What every concept uses: config, logs, errors, AWS clients, the cache, DynamoDB helpers, auth, the clock."""
