"""Support staff tooling: the `contact-support` console script. Never shipped to Lambda."""
