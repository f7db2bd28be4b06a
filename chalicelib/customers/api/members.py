"""Members of a household (家庭成员): add, change, remove, and move a person to another household (explicit and
atomic). The read-modify-write of the member list is the service's (chalicelib.customers.service.households)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from chalicelib.customers.api.base import NOT_FOUND, WRITE_ERRORS, api
from chalicelib.customers.api.views import HouseholdOut, household_out
from chalicelib.customers.domain.households import MemberIn, Relation
from chalicelib.platform.http.routing import Request
from chalicelib.platform.inputs import Id, RequestModel


class MemberAdd(RequestModel):
    version: int = Field(ge=1)
    member: MemberIn


class MemberUpdate(RequestModel):
    version: int = Field(ge=1)
    member: MemberIn


class MemberDeleteQuery(RequestModel):
    version: int = Field(ge=1)


class MoveBody(RequestModel):
    target_household_id: Id
    relation: Relation = Field(description="the person's relation to the target household's head")
    version: int = Field(ge=1, description="version of the source household")
    target_version: int = Field(ge=1, description="version of the target household")


class MoveResult(BaseModel):
    source: HouseholdOut
    target: HouseholdOut


@api.route("/households/{household_id}/members", "POST", summary="Add a member to a household",
           permission="household:write", body=MemberAdd, response=HouseholdOut, status=201, errors=WRITE_ERRORS)
def add_member(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.service import households

    return household_out(households.add_member(req.caller, household_id,
                                               req.body.member.model_dump(exclude_unset=True),
                                               expected_version=req.body.version))


@api.route("/households/{household_id}/members/{member_id}", "PUT", summary="Change one member",
           permission="household:write", body=MemberUpdate, response=HouseholdOut,
           errors=WRITE_ERRORS + ("MEMBER_NOT_FOUND",))
def update_member(req: Request, household_id: str, member_id: str) -> HouseholdOut:
    from chalicelib.customers.service import households

    return household_out(households.update_member(req.caller, household_id, member_id,
                                                  req.body.member.model_dump(exclude_unset=True),
                                                  expected_version=req.body.version))


@api.route("/households/{household_id}/members/{member_id}", "DELETE",
           summary="Remove a member (frees the person for another household)", permission="household:write",
           query=MemberDeleteQuery, response=HouseholdOut, errors=WRITE_ERRORS + ("MEMBER_NOT_FOUND",))
def remove_member(req: Request, household_id: str, member_id: str) -> HouseholdOut:
    from chalicelib.customers.service import households

    return household_out(households.remove_member(req.caller, household_id, member_id,
                                                  expected_version=req.query.version))


@api.route("/households/{household_id}/members/{member_id}/move", "POST",
           summary="Move a person to another household (explicit, atomic)", permission="household:write",
           body=MoveBody, response=MoveResult,
           errors=NOT_FOUND + ("MEMBER_NOT_FOUND", "MEMBER_IS_HEAD", "VERSION_CONFLICT", "MOVE_AS_HEAD"))
def move_member(req: Request, household_id: str, member_id: str) -> MoveResult:
    from chalicelib.customers.service import households

    b = req.body
    src, dst = households.move_member(req.caller, household_id, member_id,
                                      target_household_id=b.target_household_id, relation=b.relation,
                                      expected_version=b.version, target_expected_version=b.target_version)
    return MoveResult(source=household_out(src), target=household_out(dst))
