"""HTTP API: one Chalice Blueprint per subsystem, built with :mod:`chalicelib.platform.http.routing`."""
