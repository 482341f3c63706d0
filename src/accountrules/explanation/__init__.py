"""Reasons with the citations in force, and the typed trace."""
