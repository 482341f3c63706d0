"""Many cases: worker processes (batch) and what crosses between them (transport)."""
