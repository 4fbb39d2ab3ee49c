"""Tax gateway client: submit, query, red-letter — rate-limited, retried, idempotent."""
