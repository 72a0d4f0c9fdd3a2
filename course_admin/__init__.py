"""Maintainer and instructor tasks of the course: release, reference values, benchmarks, grading."""
