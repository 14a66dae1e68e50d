"""Dev-only helpers for tests and benchmarks (never in the wheel)."""
