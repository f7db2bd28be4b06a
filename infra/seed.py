"""Reference and demo data for the local stack: the Jilin organisation tree, village assignments,
default parameter versions and demo users.

Organisation tree (real division names from the shipped NBS 2023 list):
province union ``JL`` → institutions ``JL-220122`` (农安县) and ``JL-220182`` (榆树市) → one branch
(支行) per township → one outlet (网点) per branch. Each village-level unit of the two counties is
assigned to the outlet of its township.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

INSTITUTIONS = {"220122": "吉林农安农村商业银行", "220182": "吉林榆树农村商业银行"}
PROVINCE = {"org_id": "JL", "name": "吉林省农村信用社联合社"}
DEMO_PASSWORD = "Demo-Passw0rd"
#: The showcase village (a real 村委会 of 农安县; its outlet is the demo account manager's).
SHOWCASE_VILLAGE = "220122102202"
#: The village of the README's walk-through through the API (创业村委会, the last village of the showcase township,
#: roster ``docs/examples/roster_220122102225.csv``): ``village-credit demo`` never takes it unless told to, so the
#: walk-through works on a fresh stack and after the demo alike.
WALKTHROUGH_VILLAGE = "220122102225"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    org_id: str
    household_id: str | None = None


def outlet_id(township_code: str) -> str:
    return f"JL-{township_code[:6]}-{township_code[6:]}-01"


def branch_id(township_code: str) -> str:
    return f"JL-{township_code[:6]}-{township_code[6:]}"


def demo_users() -> list[DemoUser]:
    """Demo accounts: one per role, two institutions; the account manager serves the showcase village."""
    showcase_outlet = outlet_id(SHOWCASE_VILLAGE[:9])
    from chalicelib.reference.divisions import villages_in_county

    yushu_township = sorted({v.township_code for v in villages_in_county("220182") if v.kind == "village"})[0]
    return [
        DemoUser("am.nongan", "account_manager", showcase_outlet),
        DemoUser("am2.nongan", "account_manager", showcase_outlet),
        DemoUser("reviewer.nongan", "reviewer", "JL-220122"),
        DemoUser("approver.nongan", "approver", "JL-220122"),
        DemoUser("admin.nongan", "institution_admin", "JL-220122"),
        DemoUser("am.yushu", "account_manager", outlet_id(yushu_township)),
        DemoUser("admin.yushu", "institution_admin", "JL-220182"),
        DemoUser("province.admin", "province_admin", "JL"),
        DemoUser("auditor", "auditor", "JL"),
    ]


def seed_orgs(core_table: str) -> int:
    """Write the organisation tree and village assignments (``core_table``: the table the settings name, checked
    here); returns the number of items."""
    from chalicelib.admin.data import orgs
    from chalicelib.admin.data.models import Organisation, VillageAssignment
    from chalicelib.platform.settings import get_settings
    from chalicelib.reference.divisions import villages_in_county

    if get_settings().core_table != core_table:
        raise RuntimeError(f"seed_orgs: the settings name {get_settings().core_table}, not {core_table}")
    province = Organisation.under(None, org_id=PROVINCE["org_id"], name=PROVINCE["name"], level="province")
    tree = [province]
    villages = []
    for county, name in INSTITUTIONS.items():
        inst = Organisation.under(province, org_id=f"JL-{county}", name=name, level="institution", county_code=county)
        tree.append(inst)
        in_county = villages_in_county(county)
        townships = {v.township_code: v.township_name for v in in_county}
        outlets = {}
        for code, tname in sorted(townships.items()):
            branch = Organisation.under(inst, org_id=branch_id(code), name=f"{name}{tname}支行", level="branch",
                                        county_code=county)
            outlet = Organisation.under(branch, org_id=outlet_id(code), name=f"{name}{tname}支行营业部",
                                        level="outlet", county_code=county)
            tree += [branch, outlet]
            outlets[code] = outlet
        villages += [VillageAssignment.of(v, outlets[v.township_code]) for v in in_county]
    return orgs.put_tree(tree, villages)


def seed_parameters(actor_id: str = "system") -> list[str]:
    """Store version 1 of every shipped default parameter document (effective 2020-01-01), once."""
    from chalicelib.platform import parameters
    from chalicelib.platform.access import Principal
    from chalicelib.platform.errors import NotFound

    actor = Principal(user_id=actor_id, username=actor_id, role="province_admin", org_id="JL", org_path="/JL/")
    written = []
    for name in parameters.list_names():
        try:
            parameters.get_effective(name, date(2099, 1, 1))
            continue
        except NotFound:
            pass
        parameters.put_version(name, parameters.default_document(name), effective_from=date(2020, 1, 1),
                               actor=actor, comment="shipped default")
        written.append(name)
    return written


def seed_users(endpoint: str | None, pool_id: str, users: list[DemoUser]) -> None:
    """Create (or update) demo users with a permanent password and their role attributes."""
    import boto3

    idp = boto3.client("cognito-idp", endpoint_url=endpoint)
    for u in users:
        attrs = [{"Name": "custom:role", "Value": u.role}, {"Name": "custom:org_id", "Value": u.org_id}]
        if u.household_id:
            attrs.append({"Name": "custom:household_id", "Value": u.household_id})
        try:
            idp.admin_create_user(UserPoolId=pool_id, Username=u.username, UserAttributes=attrs,
                                  MessageAction="SUPPRESS")
        except idp.exceptions.UsernameExistsException:
            idp.admin_update_user_attributes(UserPoolId=pool_id, Username=u.username, UserAttributes=attrs)
        idp.admin_set_user_password(UserPoolId=pool_id, Username=u.username, Password=DEMO_PASSWORD, Permanent=True)


class LoginTaken(Exception):
    """The username is taken by a login that is not this household's farmer (``role``, ``household_id``)."""

    def __init__(self, username: str, role: str, household_id: str | None):
        super().__init__(f"{username} is already the login of household {household_id}" if role == "farmer" else
                         f"{username} is already a login of role {role}")
        self.role, self.household_id = role, household_id


def add_farmer_login(endpoint: str | None, pool_id: str, username: str, household_id: str, village_code: str) -> bool:
    """A farmer's login for ``household_id`` (of ``village_code``, so of its township's outlet) in the local user
    pool, with the demo password: what mobile-banking enrolment gives a farmer on AWS. Returns True when created,
    False when ``username`` already was that household's farmer login (nothing changed). Raises :class:`LoginTaken`
    when ``username`` belongs to anyone else (a staff login is never turned into a farmer)."""
    import boto3

    idp = boto3.client("cognito-idp", endpoint_url=endpoint)
    try:
        user = idp.admin_get_user(UserPoolId=pool_id, Username=username)
    except idp.exceptions.UserNotFoundException:
        seed_users(endpoint, pool_id, [DemoUser(username, "farmer", outlet_id(village_code[:9]), household_id)])
        return True
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    if attrs.get("custom:role") != "farmer" or attrs.get("custom:household_id") != household_id:
        raise LoginTaken(username, attrs.get("custom:role", "-"), attrs.get("custom:household_id"))
    return False


def login(endpoint: str | None, client_id: str, username: str, password: str = DEMO_PASSWORD) -> str:
    """A user's ID token (USER_PASSWORD_AUTH)."""
    import boto3

    idp = boto3.client("cognito-idp", endpoint_url=endpoint)
    out = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": username, "PASSWORD": password})
    return out["AuthenticationResult"]["IdToken"]


#: The demo farmer's household (fixed id so that re-seeding finds it).
FARMER_DEMO_HOUSEHOLD = "00000000-0000-4000-8000-220122102202"


def _account_manager(stack, username: str):
    """The Principal of a seeded account manager (its Cognito ``sub`` is its user id)."""
    import boto3

    from chalicelib.admin.data import orgs
    from chalicelib.platform.access import Principal

    user = boto3.client("cognito-idp", endpoint_url=stack.endpoint).admin_get_user(
        UserPoolId=stack.env["USER_POOL_ID"], Username=username)
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    org = orgs.get_org(attrs["custom:org_id"])
    if org is None:
        raise LookupError(f"user {username}'s organisation {attrs['custom:org_id']} is not seeded")
    return Principal(user_id=attrs["sub"], username=username, role=attrs["custom:role"], org_id=org["org_id"],
                     org_path=org["org_path"])


def seed_farmer_demo(stack) -> str:
    """One synthetic household in the showcase village, filed and submitted by ``am.nongan`` (its
    responsible account manager, so the showcase campaign rates it and gives it a line), and the
    ``farmer.demo`` user linked to it (farmer self-service demo). Idempotent; returns the household id."""
    from chalicelib.customers.data import households
    from chalicelib.customers.domain import roster
    from chalicelib.customers.domain.households import HouseholdIn
    from infra.roster_synth import synth_households, to_csv

    if households.get_unscoped(FARMER_DEMO_HOUSEHOLD) is None:
        am = _account_manager(stack, "am.nongan")
        parsed = roster.parse(to_csv(synth_households(1, seed=20261129)), "demo.csv", village_code=SHOWCASE_VILLAGE)
        stored = households.create(am, HouseholdIn.model_validate(parsed.households[0].payload),
                                   household_id=FARMER_DEMO_HOUSEHOLD)
        households.set_status(am, FARMER_DEMO_HOUSEHOLD, "submitted", expected_version=stored["version"])
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"],
               [DemoUser("farmer.demo", "farmer", outlet_id(SHOWCASE_VILLAGE[:9]), FARMER_DEMO_HOUSEHOLD)])
    return FARMER_DEMO_HOUSEHOLD


def seed_all(stack) -> None:
    """Everything the local stack needs before it serves requests."""
    seed_orgs(stack.env["CORE_TABLE"])
    seed_parameters()
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"], demo_users())
    seed_farmer_demo(stack)
