"""Reproducible benchmarks: ingest, polling and soak (``make bench``; docs/benchmarks.md)."""
