"""Repositories of the loans context: the only code that knows its items' keys."""
