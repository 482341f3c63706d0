"""Everything that knows durable-rules."""
