"""Support's side: the event publisher, the queue ingest, the support-requests table, its write-sharded keys."""
