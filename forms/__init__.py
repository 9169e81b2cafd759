"""XLSForm sources, choice lists, the field mapping and the pure form tooling (build, check).

Imports nothing of ours (DESIGN.md §3).
"""
