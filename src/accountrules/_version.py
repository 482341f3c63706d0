"""The package version (one place; the façade and every stage read it from here)."""

__version__ = "0.1.0"
