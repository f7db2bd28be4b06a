"""Repositories of the admin context: the only code that knows its items' keys."""
