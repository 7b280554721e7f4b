"""The demo events source: a deterministic generator, its HTTP server, schema and transforms."""
