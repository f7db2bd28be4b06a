"""Repositories of the postloan context: the only code that knows its items' keys."""
