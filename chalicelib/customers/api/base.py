"""The customers context's route group (客户管理) and what its resource modules share."""
from __future__ import annotations

from chalicelib.platform.access import Principal
from chalicelib.platform.http.routing import Api, Request

api = Api("customers", tag="customer management")

NOT_FOUND = ("HOUSEHOLD_NOT_FOUND",)
WRITE_ERRORS = ("HOUSEHOLD_INVALID", "PERSON_IN_OTHER_HOUSEHOLD", "VERSION_CONFLICT", "VILLAGE_NOT_FOUND",
                "HOUSEHOLD_NOT_FOUND", "REQUEST_VALIDATION")


def caller(req: Request) -> Principal:
    """The authenticated caller: every customers route names a permission, so the route layer has checked one
    (a request without a caller never reaches a handler)."""
    if req.principal is None:
        raise RuntimeError("a customers route was reached without an authenticated caller")
    return req.principal
