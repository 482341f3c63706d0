"""Which rules match each fact: the compiled rulebook and its discrimination index, the generated python matcher; ``durable/`` is every line that knows durable-rules."""
