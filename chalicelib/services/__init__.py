"""Services: use cases that combine domain rules and repositories (e.g. the roster import)."""
