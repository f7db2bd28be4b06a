"""Public management (公共管理): health, API docs, the caller, organisations, villages, parameters, audit."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from chalice import Response
from pydantic import BaseModel, Field

from chalicelib.platform.clock import business_date
from chalicelib.platform.http.routing import Api, NextCursor, PageCursor, Request
from chalicelib.platform.inputs import IsoDate, RequestModel, parsed_by
from chalicelib.platform.text import text

api = Api("public", tag="public management")

#: Swagger UI (npm ``swagger-ui-dist``, pinned in package.json; Apache-2.0): the files it needs, committed in
#: ``chalicelib/reference/docs`` (``make docs-assets`` copies them from node_modules; SOURCES.md). 5.x reads
#: OpenAPI 3.1, the version of this API's document.
SWAGGER_UI_VERSION = "5.36.0"
_DOC_ASSETS = {"swagger-ui.css": "text/css; charset=utf-8",
               "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
               "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
               "LICENSE": "text/plain; charset=utf-8", "NOTICE": "text/plain; charset=utf-8"}

# The page is served at <base>/docs and <base>/docs/ (<base>: "" locally, "/<stage>" behind API Gateway), so
# its script addresses the assets and the document from <base> instead of relative to the page. The
# document's server URL is "." (see openapi_document): "Try it out" calls <base>/..., the API it came from.
_DOCS_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>village-credit API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><div id="swagger-ui"></div>
<script>
(function () {
  var base = location.pathname.replace(/\\/docs\\/?$/, "");
  var version = "@VERSION@";
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = base + "/docs/assets/swagger-ui.css?v=" + version;
  document.head.appendChild(css);
  var js = document.createElement("script");
  js.src = base + "/docs/assets/swagger-ui-bundle.js?v=" + version;
  js.onload = function () {
    window.ui = SwaggerUIBundle({url: base + "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
  };
  document.body.appendChild(js);
})();
</script>
</body></html>
""".replace("@VERSION@", SWAGGER_UI_VERSION)


class Health(BaseModel):
    status: str = Field(description="ok")
    stage: str
    version: str


class Me(BaseModel):
    user_id: str
    username: str
    role: str
    org_id: str
    org_path: str
    household_id: str | None = None
    permissions: list[str]


class Org(BaseModel):
    org_id: str
    name: str
    level: str = Field(description="province | institution | branch | outlet")
    parent_id: str | None = None
    org_path: str
    county_code: str | None = None


class OrgList(BaseModel):
    items: list[Org]


class Village(BaseModel):
    village_code: str = Field(description="12-digit statistical division code (行政区划代码)")
    village_name: str
    township_name: str
    county_name: str
    org_id: str


class VillagePage(BaseModel):
    items: list[Village]
    cursor: NextCursor = None


class PageQuery(RequestModel):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class ParameterVersion(BaseModel):
    name: str
    version: int
    effective_from: date
    value: dict[str, Any]
    created_by: str | None = None
    created_at: str | None = None
    comment: str | None = None


class ParameterVersions(BaseModel):
    items: list[ParameterVersion]


class ParameterQuery(RequestModel):
    on: IsoDate | None = Field(default=None, description="business date; default today (Asia/Shanghai)")


#: The codes a new parameter version can be refused with by its model (the contexts' parameter models, registered
#: with chalicelib.platform.parameter_models; PARAMETER_VALUE for what no domain rule names).
PARAMETER_ERROR_CODES = ("PARAMETER_VALUE", "LPR_TABLE_INVALID", "PRODUCTS_INVALID", "SCORECARD_INVALID",
                         "CREDIT_LINE_POLICY_INVALID", "EVALUATION_POLICY_INVALID", "CLASSIFICATION_RULE_INVALID",
                         "WARNING_RULES_INVALID")


if TYPE_CHECKING:
    VersionComment: TypeAlias = str  # mypy sees what the field holds once validated
else:
    #: why a parameter version was added: 2 to 500 characters, line breaks kept (the text rule of the platform)
    VersionComment = text(min_length=2, max_length=500, multiline=True)


class NewParameterVersion(RequestModel):
    value: Annotated[dict[str, Any], parsed_by("chalicelib.platform.parameters.check_document")] = Field(
        description="the document; numbers are kept exactly (parsed as decimals) and must fit a DynamoDB number "
                    "(at most 38 significant digits); the document must satisfy its parameter's model (the "
                    "refusal names the field at fault)")
    effective_from: IsoDate
    comment: VersionComment = Field(
        description="why this version (a lone surrogate, a control or invisible character is refused: "
                    "TEXT_INVISIBLE_CHARACTER)")


class AuditRecord(BaseModel):
    entity_type: str
    entity_id: str
    action: str
    actor_id: str
    at: str
    reason: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class AuditPage(BaseModel):
    items: list[AuditRecord]
    cursor: NextCursor = None


@api.route("/health", "GET", summary="Liveness and configuration check", public=True, response=Health)
def health(req: Request) -> Health:
    from chalicelib import __version__
    from chalicelib.platform.settings import get_settings

    return Health(status="ok", stage=get_settings().stage, version=__version__)


@api.route("/docs", "GET", summary="Human API documentation (Swagger UI, offline assets); also at /docs/",
           public=True, content_type="text/html")
def docs(req: Request) -> Response:
    return Response(body=_DOCS_PAGE, status_code=200, headers={"Content-Type": "text/html; charset=utf-8",
                                                               "Cache-Control": "no-cache"})


@api.route("/docs/assets/{name}", "GET", summary="Swagger UI static asset", public=True,
           content_type=("text/css", "application/javascript"), errors=("ASSET_NOT_FOUND",))
def docs_asset(req: Request, name: str) -> Response:
    from importlib import resources

    from chalicelib.platform.errors import NotFound

    if name not in _DOC_ASSETS:
        raise NotFound("no such asset", code="ASSET_NOT_FOUND", field="name")
    body = (resources.files("chalicelib.reference") / "docs" / name).read_text(encoding="utf-8")
    return Response(body=body, status_code=200, headers={"Content-Type": _DOC_ASSETS[name],
                                                         "Cache-Control": "max-age=86400"})


@api.route("/openapi.json", "GET", summary="This API's OpenAPI document", public=True)
def openapi_document(req: Request) -> Response:
    """The committed document, served with a relative server URL ("."): OpenAPI resolves it against where
    the document was fetched, so "Try it out" in /docs calls this server on any port or API stage."""
    import json
    from importlib import resources

    doc = json.loads((resources.files("chalicelib.reference") / "openapi.json").read_text(encoding="utf-8"))
    doc["servers"] = [{"url": ".", "description": "the server this document was fetched from"}]
    return Response(body=json.dumps(doc, ensure_ascii=False), status_code=200,
                    headers={"Content-Type": "application/json"})


@api.route("/me", "GET", summary="The caller: role, organisation, permissions", permission="me:read",
           response=Me)
def me(req: Request) -> Me:
    p = req.caller
    return Me(user_id=p.user_id, username=p.username, role=p.role, org_id=p.org_id, org_path=p.org_path,
              household_id=p.household_id, permissions=sorted(p.permissions))


@api.route("/orgs/{org_id}", "GET", summary="One organisation in the caller's scope", permission="org:read",
           response=Org, errors=("ORG_NOT_FOUND",))
def get_org(req: Request, org_id: str) -> Org:
    from chalicelib.admin.service import organisations

    return Org.model_validate(organisations.organisation(req.caller, org_id))


@api.route("/orgs/{org_id}/children", "GET", summary="Child organisations in the caller's scope",
           permission="org:read", response=OrgList, errors=("ORG_NOT_FOUND",))
def org_children(req: Request, org_id: str) -> OrgList:
    from chalicelib.admin.service import organisations

    return OrgList(items=[Org.model_validate(i) for i in organisations.children(req.caller, org_id)])


@api.route("/institutions/{institution_id}/villages", "GET", summary="Villages served, in the caller's scope",
           permission="org:read", query=PageQuery, response=VillagePage, errors=("ORG_NOT_FOUND", "INVALID_CURSOR"))
def institution_villages(req: Request, institution_id: str) -> VillagePage:
    from chalicelib.admin.service import organisations

    page = organisations.villages(req.caller, institution_id, limit=req.query.limit, cursor=req.query.cursor)
    return VillagePage(items=[Village.model_validate(i) for i in page.items], cursor=page.cursor)


@api.route("/parameters/{name}", "GET", summary="The parameter version in force on a business date",
           permission="parameter:read", query=ParameterQuery, response=ParameterVersion,
           errors=("PARAMETER_NOT_FOUND",))
def get_parameter(req: Request, name: str) -> ParameterVersion:
    from chalicelib.platform import parameters

    return ParameterVersion.model_validate(parameters.get_effective(name, req.query.on or business_date()))


@api.route("/parameters/{name}/versions", "GET", summary="Every version of a parameter",
           permission="parameter:read", response=ParameterVersions)
def list_parameter_versions(req: Request, name: str) -> ParameterVersions:
    from chalicelib.platform import parameters

    return ParameterVersions(items=[ParameterVersion.model_validate(v) for v in parameters.list_versions(name)])


@api.route("/parameters/{name}/versions", "POST", summary="Add a parameter version with an effective date",
           permission="parameter:write", body=NewParameterVersion, response=ParameterVersion, status=201,
           errors=("PARAMETER_NAME", "PARAMETER_EFFECTIVE_DATE", *PARAMETER_ERROR_CODES))
def add_parameter_version(req: Request, name: str) -> ParameterVersion:
    """Store a new version (province staff only: parameters are global, see ``chalicelib.platform.access``). Every
    document must be storable as it was sent (finite numbers that fit DynamoDB, valid Unicode, bounded nesting
    and size: ``PARAMETER_VALUE`` with the field); the document of a parameter a context models (the registry of
    ``chalicelib.platform.parameter_models``: ``lpr_fixings``, ``products``, rules, policies, workflows) must pass
    its model, else 422 with the model's code and the field under ``value``; nothing is stored."""
    import re

    from chalicelib.platform import parameters
    from chalicelib.platform.errors import ValidationFailed

    if not re.match(parameters.NAME_PATTERN, name):
        raise ValidationFailed("parameter names are lower_snake_case", code="PARAMETER_NAME", field="name")
    today = business_date()
    if req.body.effective_from < today:
        raise ValidationFailed(f"a new version cannot take effect in the past: effective_from must be {today} (the "
                               "business date) or later", code="PARAMETER_EFFECTIVE_DATE", field="effective_from",
                               details={"earliest": today.isoformat()})
    parameters.check_document(name, req.body.value, effective_from=req.body.effective_from)
    return ParameterVersion.model_validate(parameters.put_version(
        name, req.body.value, effective_from=req.body.effective_from, actor=req.caller, comment=req.body.comment))


@api.route("/audit/{entity_type}/{entity_id}", "GET", summary="Audit trail of one entity (append-only)",
           permission="audit:read", query=PageQuery, response=AuditPage, errors=("INVALID_CURSOR",))
def audit_trail(req: Request, entity_type: str, entity_id: str) -> AuditPage:
    from chalicelib.platform import audit

    page = audit.trail(req.caller, entity_type, entity_id, limit=req.query.limit, cursor=req.query.cursor)
    return AuditPage(items=[AuditRecord.model_validate(i) for i in page.items], cursor=page.cursor)
