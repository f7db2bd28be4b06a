"""Test data of the customers context: households filed through the customers service
(``chalicelib.customers.service.seeding``: the household rules, protected personal numbers, the complete stored
item, the one-person-one-household index), at the status a test needs."""
from __future__ import annotations

import random
from datetime import date
from typing import Any


def filed(village_code: str, households: list[dict[str, Any]], *, ids: list[str] | None = None,
          status: str = "verified", collected_by: str = "system") -> list[dict[str, Any]]:
    """File ``households`` (as a client sends them: ``HouseholdIn`` payloads with full resident IDs) in
    ``village_code`` at ``status``, collected by ``collected_by`` (the responsible account manager's user id);
    ``ids`` names them (default: new ids). Returns the stored households, in order. Fails the test when one is
    refused (e.g. a person already filed in another household)."""
    from chalicelib.customers.service import seeding

    filings = list(zip(ids or [None] * len(households), households, strict=True))
    written, failed = seeding.file(village_code, filings, status=status, collected_by=collected_by)
    if failed:
        raise AssertionError(f"households refused: { {k: e.code for k, e in failed.items()} }")
    return [written[hid] for hid in (ids or list(written))]


def synthetic_village(village_code: str, count: int, *, seed: int, tag: str, status: str = "verified",
                      collected_by: str = "system") -> list[dict[str, Any]]:
    """``count`` synthetic households of ``village_code`` (``infra.synthetic``, deterministic for ``seed``) filed
    at ``status`` with ids ``HH-<village>-<tag><n:03d>``. Returns the stored households."""
    from infra.synthetic import village_households_in

    households = village_households_in(village_code, count, seed=seed)
    ids = [f"HH-{village_code}-{tag}{n:03d}" for n in range(1, count + 1)]
    return filed(village_code, households, ids=ids, status=status, collected_by=collected_by)


def _person(county: str, born: date, male: bool, rng: random.Random) -> str:
    from infra.synthetic import resident_id

    return resident_id(county, born, rng.randrange(1000), male)


def family(village_code: str, *, head_name: str, head_birth: date, spouse: tuple[str, date] | None = None,
           rng: random.Random | None = None) -> dict[str, Any]:
    """A household payload: a male head (and a female spouse) with well-formed resident IDs of the village's
    county, made up at random (``rng``), so that files made this way rarely name the same person."""
    rng = rng or random.Random()
    county = village_code[:6]
    members = [{"relation": "head", "name": head_name, "gender": "male", "birth_date": head_birth.isoformat(),
                "resident_id": _person(county, head_birth, True, rng), "labour_capacity": "full"}]
    if spouse:
        members.append({"relation": "spouse", "name": spouse[0], "gender": "female",
                        "birth_date": spouse[1].isoformat(), "resident_id": _person(county, spouse[1], False, rng),
                        "labour_capacity": "full"})
    return {"village_code": village_code, "members": members, "committee_assessment": "good",
            "repayment_record": "good"}


def household(village_code: str, household_id: str, *, head_name: str, head_birth: date,
              spouse: tuple[str, date] | None = None, collected_by: str = "system",
              status: str = "verified") -> dict[str, Any]:
    """One household (:func:`family`) filed with id ``household_id``; a made-up person who happens to be filed
    already is made up again (a few attempts). Returns the stored household."""
    from chalicelib.customers.service import seeding

    rng = random.Random()
    for _ in range(8):
        payload = family(village_code, head_name=head_name, head_birth=head_birth, spouse=spouse, rng=rng)
        written, failed = seeding.file(village_code, [(household_id, payload)], status=status,
                                       collected_by=collected_by)
        if household_id in written:
            return written[household_id]
        if failed[household_id].code != "PERSON_IN_OTHER_HOUSEHOLD":
            raise AssertionError(f"household refused: {failed[household_id].code}")
    raise AssertionError("no unused made-up person after 8 attempts")


def user_id(username: str) -> str:
    """The user id (Cognito ``sub``) of a seeded user of the stack, e.g. ``am.nongan``: the collector to name for
    households that account manager files."""
    import boto3

    from chalicelib.platform.settings import get_settings

    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=get_settings().user_pool_id, Username=username)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def managed_by(household_id: str, manager: str) -> None:
    """The household's responsible account manager becomes ``manager`` (a colleague took the household over: no
    use case of the API changes it yet), through the household's own model."""
    from chalicelib.customers.data.models import Household

    found = Household.find(*Household.key(household_id))
    if found is None:
        raise AssertionError(f"no household {household_id}")
    found.update(actions=[Household.account_manager_id.set(manager)])


def unmanaged(household_id: str) -> None:
    """The household has no responsible account manager (no collector, no account manager: a state no use case
    of the API reaches, which the post-loan tests need for work nobody is assigned to), through the household's own
    model. It leaves its village's list too: a listed household always names its collector."""
    from chalicelib.customers.data.models import Household

    found = Household.find(*Household.key(household_id))
    if found is None:
        raise AssertionError(f"no household {household_id}")
    found.update(actions=[Household.collected_by.remove(), Household.account_manager_id.remove(),
                          Household.GSI1PK.remove(), Household.GSI1SK.remove(),
                          Household.GSI2PK.remove(), Household.GSI2SK.remove()])
