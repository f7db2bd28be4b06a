"""Agricultural entities (新型农业经营主体): file, read, replace, and a village's list."""
from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from chalicelib.customers.api.base import api
from chalicelib.customers.domain.agri_entities import AgriEntityIn
from chalicelib.platform.http.routing import NextCursor, PageCursor, Request
from chalicelib.platform.inputs import RequestModel


class AgriEntityUpdate(AgriEntityIn):
    version: int = Field(ge=1)


class AgriEntityOut(BaseModel):
    entity_id: str
    version: int
    name: str
    uscc: str
    kind: str
    village_code: str
    legal_representative: dict[str, Any]
    registered_on: date | None = None
    address: str | None = None
    operations: dict[str, Any]
    assets: dict[str, Any]
    liabilities: dict[str, Any]
    created_at: str | None = None
    updated_at: str | None = None


class AgriEntityPage(BaseModel):
    items: list[AgriEntityOut]
    cursor: NextCursor = None


class PageQuery(RequestModel):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


def _entity_out(item: dict[str, Any]) -> AgriEntityOut:
    return AgriEntityOut.model_validate({k: v for k, v in item.items() if k in AgriEntityOut.model_fields})


@api.route("/agri-entities", "POST", summary="File an agricultural entity (family farm, cooperative, ...)",
           permission="household:write", body=AgriEntityIn, response=AgriEntityOut, status=201,
           errors=("AGRI_ENTITY_INVALID", "USCC_EXISTS", "LEGAL_REP_NOT_FOUND", "VILLAGE_NOT_FOUND"))
def create_entity(req: Request) -> AgriEntityOut:
    from chalicelib.customers.service import entities

    return _entity_out(entities.create(req.caller, req.body))


@api.route("/agri-entities/{entity_id}", "GET", summary="An agricultural entity", permission="household:read",
           response=AgriEntityOut, errors=("AGRI_ENTITY_NOT_FOUND",))
def get_entity(req: Request, entity_id: str) -> AgriEntityOut:
    from chalicelib.customers.service import entities

    return _entity_out(entities.get(req.caller, entity_id))


@api.route("/agri-entities/{entity_id}", "PUT", summary="Replace an agricultural entity (optimistic lock)",
           permission="household:write", body=AgriEntityUpdate, response=AgriEntityOut,
           errors=("AGRI_ENTITY_NOT_FOUND", "AGRI_ENTITY_INVALID", "USCC_EXISTS", "VERSION_CONFLICT"))
def update_entity(req: Request, entity_id: str) -> AgriEntityOut:
    from chalicelib.customers.service import entities

    inp = AgriEntityIn.model_validate(req.body.model_dump(exclude={"version"}))
    return _entity_out(entities.update(req.caller, entity_id, inp, expected_version=req.body.version))


@api.route("/villages/{village_code}/agri-entities", "GET", summary="A village's agricultural entities",
           permission="household:read", query=PageQuery, response=AgriEntityPage,
           errors=("VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def village_entities(req: Request, village_code: str) -> AgriEntityPage:
    from chalicelib.customers.service import entities

    page = entities.village_page(req.caller, village_code, limit=req.query.limit, cursor=req.query.cursor)
    return AgriEntityPage(items=[_entity_out(i) for i in page.items], cursor=page.cursor)
