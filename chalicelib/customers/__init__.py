"""The customers context: households (files, members, personal data), agricultural entities, photos, roster
imports and PAD synchronisation.

Other contexts use it only through :mod:`chalicelib.customers.public`."""
