"""Benchmarks: each script prints one JSON line (see docs/benchmarks.md)."""
