"""Reusable queries. Dialect-specific SQL lives here; queries never commit: the caller owns
the transaction."""
