"""The law's decisions, one function per section of ``docs/semantics.md``."""
