"""The template's Api events equal the Chalice app's routes, per function and in total."""
from __future__ import annotations

from infra.template import load, resources_of


def _template_routes() -> dict[str, set[tuple[str, str]]]:
    out = {}
    for _lid, res in resources_of(load(), "AWS::Serverless::Function").items():
        events = res["Properties"].get("Events") or {}
        routes = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in events.values()
                  if e["Type"] == "Api"}
        if routes:
            out[res["Properties"]["Handler"]] = routes
    return out


def _chalice_routes(app) -> set[tuple[str, str]]:
    return {(m, path) for path, methods in app.routes.items() for m in methods}


def test_template_routes_equal_the_full_chalice_app():
    from app import app

    template = set().union(*_template_routes().values())
    assert template == _chalice_routes(app)


def test_each_api_function_serves_exactly_its_blueprint():
    from infra.local.seams import resolve_handler

    for handler, routes in _template_routes().items():
        assert routes == _chalice_routes(resolve_handler(handler)), handler


def test_public_routes_are_exactly_health_docs_and_openapi():
    from chalicelib.routes import all_specs

    public = {s.path for _, s in all_specs() if s.public}
    assert public == {"/health", "/docs", "/docs/assets/{name}", "/openapi.json"}
    for _lid, res in resources_of(load(), "AWS::Serverless::Function").items():
        for e in (res["Properties"].get("Events") or {}).values():
            if e["Type"] == "Api":
                no_auth = e["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
                assert no_auth == (e["Properties"]["Path"] in public), e["Properties"]["Path"]


def test_generated_route_blocks_are_current():
    from infra import routes
    from infra.template import TEMPLATE

    text = TEMPLATE.read_text(encoding="utf-8")
    assert routes.render(text) == text, "run `village-credit template routes --write`"
