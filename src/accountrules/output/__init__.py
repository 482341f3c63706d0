"""Writing a recommendation: JSON (the fast writer), text, Markdown; the 问责追责建议书 letter (``output/letter/``)."""
