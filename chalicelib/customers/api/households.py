"""Household files (农户档案): file, read, replace, search by resident ID, a village's list, and the status
workflow (submit, verify, return). Personal numbers are answered masked; a caller whose role has ``pii:reveal``
may ask for the full numbers with ``?reveal=true`` (audited). Searching by resident ID is a POST so that the number
never appears in a URL (URLs end up in access logs)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.customers.api.base import NOT_FOUND, WRITE_ERRORS, api
from chalicelib.customers.api.views import HouseholdOut, household_out
from chalicelib.customers.domain.households import HouseholdIn
from chalicelib.customers.domain.texts import Text32
from chalicelib.platform.http.routing import NextCursor, PageCursor, Request
from chalicelib.platform.inputs import Id, RequestModel


class RevealQuery(RequestModel):
    reveal: bool = Field(default=False, description="full ID/phone numbers (needs pii:reveal; audited)")


class HouseholdSummary(BaseModel):
    household_id: str
    version: int
    status: str
    data_source: str
    collected_by: str
    village_code: str
    village_group: str | None = None
    household_no: str | None = Field(default=None, description="户编号 of the village roster")
    head_name: str
    head_resident_id_masked: str | None = None
    member_count: int
    updated_at: str | None = None


class HouseholdPage(BaseModel):
    items: list[HouseholdSummary]
    cursor: NextCursor = None


class VillageHouseholdsQuery(RequestModel):
    status: Literal["draft", "submitted", "verified"] | None = None
    collected_by: Id | None = Field(default=None, description="user id of the account manager")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class HouseholdUpdate(HouseholdIn):
    version: int = Field(ge=1, description="the version the change is based on (optimistic lock)")


class SearchBody(RequestModel):
    resident_id: Text32 = Field(description="身份证号 (exact match through a keyed hash)")
    reveal: bool = False


class VersionBody(RequestModel):
    version: int = Field(ge=1)


def _maybe_reveal(req: Request, item: dict[str, Any], reveal: bool) -> HouseholdOut:
    from chalicelib.customers.service import households

    return household_out(item, households.reveal(req.caller, item) if reveal else None)


def _summary(item: dict[str, Any]) -> HouseholdSummary:
    head: dict[str, Any] = next((m for m in item.get("members", []) if m["member_id"] == item.get("head_member_id")),
                                {})
    return HouseholdSummary.model_validate({**item, "head_resident_id_masked": head.get("resident_id_masked")})


@api.route("/households", "POST", summary="File a household (door to door); status draft, version 1",
           permission="household:write", body=HouseholdIn, response=HouseholdOut, status=201,
           errors=("HOUSEHOLD_INVALID", "PERSON_IN_OTHER_HOUSEHOLD", "VILLAGE_NOT_FOUND"))
def create_household(req: Request) -> HouseholdOut:
    from chalicelib.customers.service import households

    return household_out(households.create(req.caller, req.body))


@api.route("/households/{household_id}", "GET", summary="A household file (personal numbers masked)",
           permission="household:read", query=RevealQuery, response=HouseholdOut,
           errors=NOT_FOUND + ("PERMISSION_DENIED",))
def get_household(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.service import households

    return _maybe_reveal(req, households.get(req.caller, household_id), req.query.reveal)


@api.route("/households/{household_id}", "PUT", summary="Replace a household file (optimistic lock on version)",
           permission="household:write", body=HouseholdUpdate, response=HouseholdOut, errors=WRITE_ERRORS)
def update_household(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.service import households

    inp = HouseholdIn.model_validate(req.body.model_dump(exclude={"version"}, exclude_unset=True))
    return household_out(households.update(req.caller, household_id, inp, expected_version=req.body.version))


@api.route("/households/search", "POST", summary="Find the household of a person by resident ID number",
           permission="household:read", body=SearchBody, response=HouseholdOut,
           errors=NOT_FOUND + ("ID_FORMAT", "ID_CHECK_DIGIT", "ID_LEGACY_15"))
def search_household(req: Request) -> HouseholdOut:
    from chalicelib.customers.service import households

    return _maybe_reveal(req, households.find_by_resident_id(req.caller, req.body.resident_id), req.body.reveal)


@api.route("/villages/{village_code}/households", "GET", summary="A village's households (paged, filtered)",
           permission="household:read", query=VillageHouseholdsQuery, response=HouseholdPage,
           errors=("VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def village_households(req: Request, village_code: str) -> HouseholdPage:
    from chalicelib.customers.service import households

    q = req.query
    page = households.village_page(req.caller, village_code, status=q.status, collected_by=q.collected_by,
                                   limit=q.limit, cursor=q.cursor)
    return HouseholdPage(items=[_summary(i) for i in page.items], cursor=page.cursor)


def _set_status(req: Request, household_id: str, target: str) -> HouseholdOut:
    from chalicelib.customers.service import households

    return household_out(households.set_status(req.caller, household_id, target,
                                               expected_version=req.body.version))


@api.route("/households/{household_id}/submit", "POST", summary="Submit a draft household for verification",
           permission="household:write", body=VersionBody, response=HouseholdOut,
           errors=NOT_FOUND + ("HOUSEHOLD_STATUS", "VERSION_CONFLICT"))
def submit_household(req: Request, household_id: str) -> HouseholdOut:
    return _set_status(req, household_id, "submitted")


@api.route("/households/{household_id}/verify", "POST",
           summary="Verify a submitted household (not by its collecting account manager)",
           permission="household:write", body=VersionBody, response=HouseholdOut,
           errors=NOT_FOUND + ("HOUSEHOLD_STATUS", "VERSION_CONFLICT", "VERIFIER_IS_COLLECTOR"))
def verify_household(req: Request, household_id: str) -> HouseholdOut:
    return _set_status(req, household_id, "verified")


@api.route("/households/{household_id}/return", "POST", summary="Return a submitted household to draft",
           permission="household:write", body=VersionBody, response=HouseholdOut,
           errors=NOT_FOUND + ("HOUSEHOLD_STATUS", "VERSION_CONFLICT"))
def return_household(req: Request, household_id: str) -> HouseholdOut:
    return _set_status(req, household_id, "draft")
