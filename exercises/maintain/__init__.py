"""Maintainers' commands: python -m exercises.maintain --help."""
