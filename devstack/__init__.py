"""Developer tooling for a laptop: the embedded local stack behind `make run`. Never shipped to Lambda."""
