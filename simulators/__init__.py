"""Faithful ODK Central and KoboToolbox API simulators and the synthetic Banten data generator.

Used by the demo, the tests and the benchmarks; may import forms/ only (DESIGN.md §3).
"""
