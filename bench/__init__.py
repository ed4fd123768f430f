"""Benchmarks: python -m bench [--quick]; one `name value unit` line per figure."""
