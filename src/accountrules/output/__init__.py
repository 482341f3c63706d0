"""Output stage: what leaves the engine for people and other systems (the letter, …)."""
