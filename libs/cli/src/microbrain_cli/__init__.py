"""Microbrain command line: `microbrain up` (the local runner) and `microbrain simulate` (devices)."""
