"""Which Blueprint belongs to which API function. The template's route events, the full local app
(``app.py``) and the OpenAPI document are all derived from this one table."""
from __future__ import annotations

from importlib import import_module

from chalice import Chalice

#: route group → module defining ``api`` (a :class:`chalicelib.api.routing.Api`).
GROUPS: dict[str, str] = {
    "public": "chalicelib.api.public",
    "customers": "chalicelib.api.customers",
    "rating": "chalicelib.api.rating",
    "loans": "chalicelib.api.loans",
    "postloan": "chalicelib.api.postloan",
}


def api_of(group: str):
    """The :class:`~chalicelib.api.routing.Api` of one route group."""
    return import_module(GROUPS[group]).api


def mount(app: Chalice, *groups: str) -> Chalice:
    """Register the Blueprints of ``groups`` (default: all) on ``app``, and the middleware that gives
    Chalice's own error answers the product's error body (``routing.framework_errors``)."""
    from chalicelib.api.routing import framework_errors

    for group in groups or tuple(GROUPS):
        app.register_blueprint(api_of(group).blueprint())
    app.register_middleware(framework_errors, "http")
    return app


def all_specs():
    """Every RouteSpec of every group, with its group name: ``[(group, spec), ...]``."""
    return [(g, s) for g in GROUPS for s in api_of(g).specs]
