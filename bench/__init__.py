"""Benchmarks of chainrule against micrograd 0.1.0, run by hand (see bench/README.md)."""
