"""Benchmarks: each measures the project beside a baseline run in the same process and run."""
