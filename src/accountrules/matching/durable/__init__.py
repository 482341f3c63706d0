"""Every line that knows durable-rules: the translation of our conditions and durable's limits
(:mod:`.translate`), and the matcher with its compile check and error codes (:mod:`.matcher`)."""
