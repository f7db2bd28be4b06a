"""The customers context's route group (客户管理) and what its resource modules share."""
from __future__ import annotations

from chalicelib.platform.http.routing import Api

api = Api("customers", tag="customer management")

NOT_FOUND = ("HOUSEHOLD_NOT_FOUND",)
WRITE_ERRORS = ("HOUSEHOLD_INVALID", "PERSON_IN_OTHER_HOUSEHOLD", "VERSION_CONFLICT", "VILLAGE_NOT_FOUND",
                "HOUSEHOLD_NOT_FOUND", "REQUEST_VALIDATION")

