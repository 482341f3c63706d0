"""Properties every rulebook must have, their runner, and the certificate."""
