"""Repositories of the rating context: the only code that knows its items' keys."""
