"""Repositories of the customers context: the only code that knows its items' keys."""
