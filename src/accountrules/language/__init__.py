"""The condition language: syntax, the fact vocabulary, the reference evaluator, normal form."""
