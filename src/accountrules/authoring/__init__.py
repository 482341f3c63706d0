"""Tools for rule authors: lint, rule cases, diff, catalogue, generated docs."""
