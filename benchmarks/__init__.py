"""Benchmarks: each figure measured side by side with its baseline in the same run. Not part of the tests."""
