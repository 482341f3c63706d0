"""Writing a recommendation: JSON (the fast writer), text, Markdown."""
