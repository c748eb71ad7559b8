"""Benchmarks (not part of `make test`; a small size of each runs in the test suite)."""
