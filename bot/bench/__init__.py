"""Benchmarks behind `mockbot bench`: `grading` (grading against the bare model encode) and
`push` (the daily push path against the fake Bot API server). Imported only when a bench runs."""
