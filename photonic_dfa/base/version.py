"""The package version (also the code version in every task-cache key)."""

__version__ = "0.1.0"
