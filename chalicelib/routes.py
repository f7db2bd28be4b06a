"""The composition root: which route group (Blueprint) belongs to which API function, and the wiring of what the
platform needs from the contexts. The template's route events, the full local app (``app.py``), every API
function (``functions/api/<group>.py``) and the OpenAPI document are all derived from :data:`GROUPS`.

Wiring (:func:`wire`, run by :func:`mount` and by anything else that authenticates callers, e.g. the console
command): the platform's authentication looks up a caller's organisation path in the organisation tree (the admin
context's), and the admin context finds a farmer's village through the farmer's household (the customers
context's); neither may import the context that knows, so the lookups are handed to them here. Likewise the
parameter API (admin) validates a new version with its owner's model: :data:`PARAMETER_MODELS` is the catalogue of
every context's parameter models, imported on the first look-up of a name no imported module registered. The
contexts' event handlers are subscribed too (``chalicelib.subscriptions``).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from chalice import Chalice

#: route group → module defining ``api`` (a :class:`chalicelib.platform.http.routing.Api`).
GROUPS: dict[str, str] = {
    "public": "chalicelib.admin.api.routes",
    "customers": "chalicelib.customers.api.routes",
    "rating": "chalicelib.rating.api.routes",
    "loans": "chalicelib.loans.api.routes",
    "postloan": "chalicelib.postloan.api.routes",
}


#: The modules defining (and registering) every context's parameter document models.
PARAMETER_MODELS: tuple[str, ...] = (
    "chalicelib.rating.domain.parameters",
    "chalicelib.loans.domain.parameters",
    "chalicelib.postloan.domain.parameters",
)


def load_parameter_models() -> None:
    """Import every module of :data:`PARAMETER_MODELS` (each registers its models)."""
    for module in PARAMETER_MODELS:
        import_module(module)


def wire() -> None:
    """Hand the platform what it needs from the contexts (idempotent; cheap: nothing is imported that a first
    request would not import anyway)."""
    # Only the modules that hold the hooks are imported here (every API function runs this at import): the
    # lookups import the contexts that answer them on first use.
    from chalicelib import subscriptions
    from chalicelib.admin.data import orgs
    from chalicelib.platform import authn, parameter_models

    authn.use_org_path_resolver(_org_path)
    orgs.use_household_village(_household_village)
    parameter_models.use_catalogue(load_parameter_models)
    subscriptions.wire()


def _org_path(org_id: str) -> str | None:
    from chalicelib.admin import public as admin

    org = admin.get_org(org_id)
    return str(org["org_path"]) if org else None


def _household_village(household_id: str) -> str | None:
    from chalicelib.customers import public as customers

    return customers.household_village(household_id)


def api_of(group: str) -> Any:
    """The :class:`~chalicelib.platform.http.routing.Api` of one route group."""
    return import_module(GROUPS[group]).api


def mount(app: Chalice, *groups: str) -> Chalice:
    """Register the Blueprints of ``groups`` (default: all) on ``app``, and the middleware that gives
    Chalice's own error answers the product's error body (``routing.framework_errors``); wire the platform."""
    from chalicelib.platform.http.routing import framework_errors

    wire()
    for group in groups or tuple(GROUPS):
        app.register_blueprint(api_of(group).blueprint())
    app.register_middleware(framework_errors, "http")
    return app


def all_specs() -> list[tuple[str, Any]]:
    """Every RouteSpec of every group, with its group name: ``[(group, spec), ...]``."""
    return [(g, s) for g in GROUPS for s in api_of(g).specs]
