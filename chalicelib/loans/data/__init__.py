"""Data of the loans context: the item models (``models``, ``loan_models``), the only code that builds its items'
keys, and the repositories that read and write them for the services (dicts in, dicts out)."""
