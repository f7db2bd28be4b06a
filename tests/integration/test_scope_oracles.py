"""No existence oracles: on every route, an id of another organisation's object and an id that names nothing get
byte-identical answers (status, body, headers but ``Date``; both requests carry the same correlation id).

The routes come from the route registry (``chalicelib.routes.all_specs``), so a new route is driven
here as soon as it exists: its path parameters are filled from :data:`KIND_OF_PARAMETER` (an id parameter of a
new name fails :func:`test_every_route_is_driven_or_reviewed` until it is added), a write route needs a body
that would pass validation in :data:`BODIES`, and a route without an id in its path is driven through the ids
in its query or body (:data:`QUERY_CASES`, :data:`BODY_CASES`) or sits, with its reason, in the reviewed list
:data:`NO_ENTITY_ID`.

The callers: 榆树's account manager and institution admin (``am.yushu``, ``admin.yushu``), and ``farmer.demo``
on the routes a farmer may call. The foreign objects: one object of each kind in 农安's village 头道沟村
(220122102201), none of them farmer.demo's (whose household is in 二道沟村). Unknown ids have the same shape
(the digits changed; a fresh UUID for a UUID; a real division code no organisation serves for a village).
Listings are asked for pages of one item, so a cursor past a foreign item would show. An answer may echo the
id its own request named (a sync result's ``household_id``): that is replaced by its kind before comparing.
"""
from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest

from tests.integration.customers_support import household as household_body
from tests.integration.customers_support import new_id
from tests.integration.postloan_support import make_loan, village_org_path, yushu_village

pytestmark = pytest.mark.stack

VILLAGE = "220122102201"  # 头道沟村 (哈拉海镇, 农安县): not farmer.demo's village
TOWNSHIP = VILLAGE[:9]
CALLERS = ("am.yushu", "admin.yushu", "farmer.demo")
_rng = random.Random(uuid.uuid4().int)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def unknown_like(real: str) -> str:
    """An id of the same shape as ``real`` that names nothing: a fresh UUID for a UUID, else every digit
    replaced by a random one."""
    if _UUID.match(real):
        return str(uuid.uuid4())
    for _ in range(100):
        out = re.sub(r"\d", lambda _m: str(_rng.randrange(10)), real)
        if out != real:
            return out
    raise AssertionError(f"{real} has no digits to change")


def unserved_village() -> str:
    """A real village division code (NBS 2023) that no organisation of the stack serves (长春市辖区)."""
    from chalicelib.admin.data import orgs
    from chalicelib.reference.divisions import villages_in_county

    for v in sorted(villages_in_county("220102"), key=lambda v: v.code):
        if v.kind == "village" and orgs.village_assignment(v.code) is None:
            return v.code
    raise AssertionError("no unserved village found")


# ------------------------------------------------------------------------------------------------ the objects
@pytest.fixture(scope="module")
def nongan(stack, client) -> dict[str, Any]:
    """One object of each kind in 农安 (made through the API where a route makes it, else through the
    owning repository), and what the 榆树 account manager needs of his own to write anything."""
    from chalicelib.loans.data import drawdowns, loan_tasks, reconciliations
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings
    from tests.factories import rating as rating_factory
    from tests.factories.admin import completed_job_run
    from tests.factories.postloan import planned_inspection, raised_warning, sent_notification
    from tests.integration.test_customers_entities import entity, make_uscc

    s = get_settings()
    am = client.as_user("am.nongan")
    am_id = am.get("/me").json()["user_id"]
    org_path = village_org_path(VILLAGE)
    body = household_body(VILLAGE)
    hh = am.post("/households", json=body)
    assert hh.status_code == 201, hh.text
    hh = hh.json()
    hid = hh["household_id"]
    img = am.post(f"/households/{hid}/images", json={"kind": "house", "content_type": "image/jpeg", "size": 10,
                                                     "sha256": hashlib.sha256(b"x").hexdigest()})
    ent_body = entity(hh, make_uscc("93", "220122", uuid.uuid4().hex[:8].upper()), "cooperative")
    ent = am.post("/agri-entities", json={**ent_body, "village_code": VILLAGE})
    # a second of everything a listing pages through, so that a page of one item has a next one
    hh2 = am.post("/households", json=household_body(VILLAGE)).json()
    ent2_body = entity(hh2, make_uscc("93", "220122", uuid.uuid4().hex[:8].upper()), "cooperative")
    assert am.post("/agri-entities", json={**ent2_body, "village_code": VILLAGE}).status_code == 201
    job = am.post("/imports", json={"village_code": VILLAGE, "filename": "r.csv", "content_type": "text/csv",
                                    "size": 100})
    assert img.status_code == 201 and ent.status_code == 201 and job.status_code == 201, (img.text, ent.text, job.text)

    period = "2031-" + uuid.uuid4().hex[:6].upper()
    rating_id = rating_factory.rating(hid, org_path, campaign_id=f"VC-{VILLAGE}-{period}", rated_on=date(2030, 12, 1),
                                      status="auto", village_code=VILLAGE)
    rating_factory.rating(hh2["household_id"], org_path, campaign_id=f"VC-{VILLAGE}-{period}",
                          rated_on=date(2030, 12, 1), status="auto", village_code=VILLAGE)
    line_id = rating_factory.line(hid, org_path, rating_id=rating_id, campaign_id=f"VC-{VILLAGE}-{period}",
                                  limit=Decimal("100000"), subs={"NH_XYD": Decimal("100000")},
                                  valid_from=date(2024, 12, 1), valid_to=date(2033, 11, 30), village_code=VILLAGE)
    made = rating_factory.campaign_awaiting_confirmation(
        {"village_code": VILLAGE, "village_name": "头道沟村委会", "township_code": TOWNSHIP, "org_path": org_path},
        period=period, started_by=am_id, household_id=hid, rating_id=rating_id,
        evaluated_at="2031-01-05T00:00:00.000Z")
    cid, objection_id = made["campaign_id"], made["objection_id"]
    tx = dynamo.TxBuilder()
    for kind, eid in (("campaign", cid), ("rating", rating_id), ("credit_line", line_id)):
        tx.audit(s.audit_table, dynamo.Audit(kind, eid, f"{kind}.created", am_id, before=None,
                                             after={"status": "created"}, org_path=org_path))
    tx.commit()

    dd, signal, inspection, loan = None, None, None, None
    day = date(2031, 1, 7)
    for _ in range(2):
        dd = drawdowns.create({"drawdown_id": drawdowns.new_id(), "household_id": hid, "org_path": org_path,
                               "line_id": line_id, "product_code": "NH_XYD", "amount": Decimal("1000.00"),
                               "term_months": 12, "repayment_method": "equal_installment", "purpose": "planting",
                               "payment_mode": "self", "channel": "pad", "applicant_user_id": am_id,
                               "requested_on": "2031-01-05"}, actor_id=am_id)
        loan = make_loan({"household_id": hid, "org_path": org_path, "line_id": line_id, "village": VILLAGE},
                         start=date(2030, 1, 15), manager=am_id)
        signal = raised_warning(loan, day=day, assignee_id=am_id, rule_set="scope-test")
        inspection = planned_inspection(loan, day=day, assignee_id=am_id)
    task = loan_tasks.open_task(dd, "investigation", "token-" + uuid.uuid4().hex, 3600)
    proposal_id = reconciliations.new_id()  # a reconciliation proposal waiting for a second person
    tx = dynamo.TxBuilder()
    reconciliations.add_create(tx, {"proposal_id": proposal_id, "drawdown_id": dd["drawdown_id"], "household_id": hid,
                                    "org_path": org_path, "posted": False, "comment": "核心无此笔",
                                    "evidence": {"checked": "核心流水", "reference": "无"},
                                    "core": {"status": "unknown"}, "proposed_by": am_id,
                                    "proposed_at": "2031-01-07T01:00:00.000Z"})
    tx.commit()
    sent_notification(household_id=hid, org_path=org_path, reference=loan["loan_id"], day=day, about="scope-test")
    tx = dynamo.TxBuilder()  # a second audit record of every audited object (a trail of more than one page)
    for kind, eid in (("household", hid), ("agri_entity", ent.json()["entity_id"]), ("drawdown", dd["drawdown_id"]),
                      ("loan", loan["loan_id"]), ("warning", signal["signal_id"]),
                      ("inspection", inspection["task_id"]), ("campaign", cid), ("rating", rating_id),
                      ("credit_line", line_id)):
        tx.audit(s.audit_table, dynamo.Audit(kind, eid, f"{kind}.noted", am_id, before=None, after={"note": 1},
                                             org_path=org_path))
    tx.commit()
    run_day = date(2031, 1, 6)
    completed_job_run("loan_classification", run_day, {"loans": 0})

    yushu = client.as_user("am.yushu")
    own = yushu.post("/households", json=household_body(yushu_village()))
    assert own.status_code == 201, own.text
    return {
        "am_id": am_id, "org_path": org_path, "household": hh, "resident_id": body["members"][0]["resident_id"],
        "own": own.json(), "ids": {
            "household": hid, "member": hh["members"][1]["member_id"], "image": img.json()["image_id"],
            "entity": ent.json()["entity_id"], "import": job.json()["import_id"], "campaign": cid,
            "objection": objection_id, "rating": rating_id, "line": line_id, "village": VILLAGE,
            "township": TOWNSHIP, "drawdown": dd["drawdown_id"], "loan_task": task["task_id"],
            "proposal": proposal_id, "loan": loan["loan_id"], "warning": signal["signal_id"], "inspection": inspection["task_id"],
            "org": org_path.strip("/").split("/")[-1], "institution": "JL-220122", "job_run": run_day.isoformat(),
            "user": am_id}}


#: Path parameter → kind of object it names. A route whose parameter means something else per route is in
#: :data:`KIND_BY_ROUTE`.
KIND_OF_PARAMETER = {
    "household_id": "household", "member_id": "member", "image_id": "image", "entity_id": "entity",
    "import_id": "import", "campaign_id": "campaign", "objection_id": "objection", "rating_id": "rating",
    "line_id": "line", "village_code": "village", "township_code": "township", "drawdown_id": "drawdown",
    "loan_id": "loan", "signal_id": "warning", "org_id": "org", "institution_id": "institution",
    "proposal_id": "proposal",
}
KIND_BY_ROUTE = {  # path prefix → parameter → kind
    "/tasks/": {"task_id": "loan_task"},
    "/postloan/inspections/": {"task_id": "inspection"},
    "/postloan/jobs/": {"business_date": "job_run"},
    "/audit/": {"entity_type": "audited entity", "entity_id": "audited entity"},
}
#: Path parameters that are not ids: the value stays the same in both requests.
FIXED = {"job": "loan_classification"}
#: The audit trail names its entity by type and id: each type with records of the 农安 objects.
AUDITED = {"household": "household", "agri_entity": "entity", "drawdown": "drawdown", "loan": "loan",
           "warning": "warning", "inspection": "inspection", "campaign": "campaign", "rating": "rating",
           "credit_line": "line"}

#: Reviewed: routes with no id of an organisation's object in their path, query or body, and why.
NO_ENTITY_ID = {
    ("GET", "/health"): "liveness, public",
    ("GET", "/docs"): "API documentation, public",
    ("GET", "/docs/assets/{name}"): "a static asset of the API documentation (public); the name is no entity id",
    ("GET", "/openapi.json"): "the API document, public",
    ("GET", "/me"): "the caller itself",
    ("GET", "/products"): "the province's product catalogue (a parameter): the same for every caller",
    ("GET", "/parameters/{name}"): "parameters are province-wide: every holder of parameter:read reads every one",
    ("GET", "/parameters/{name}/versions"): "parameters are province-wide (see GET /parameters/{name})",
    ("POST", "/parameters/{name}/versions"): "parameters are province-wide; only province staff may write",
    ("POST", "/face-verifications"): "the calling farmer's own face check; no id",
    ("GET", "/tasks"): "the caller's own inbox; no id",
    ("POST", "/households"): "ids in the body are new ones (resident IDs of the people filed): the one-person-one-"
                             "household answer is checked by test_a_person_of_another_institution_is_refused_"
                             "like_one_of_ones_own; the village is driven in BODY_CASES",
}


def _body_of_visit() -> dict[str, Any]:
    return {"version": 1, "gps": {"lat": "44.6", "lng": "124.9"}, "photos": ["inspections/x/y.jpg"],
            "findings": "正常生产", "purpose_confirmed": True}


#: A body that passes validation, per write route (so that the scope decides the answer).
BODIES: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("PUT", "/households/{household_id}"): lambda w: {**household_body(yushu_village()), "version": 1},
    ("POST", "/households/{household_id}/submit"): lambda w: {"version": 1},
    ("POST", "/households/{household_id}/verify"): lambda w: {"version": 1},
    ("POST", "/households/{household_id}/return"): lambda w: {"version": 1},
    ("POST", "/households/{household_id}/members"): lambda w: {"version": 1, "member": {
        "relation": "child", "name": "测试子女", "resident_id": new_id(date(2005, 3, 1))}},
    ("PUT", "/households/{household_id}/members/{member_id}"): lambda w: {"version": 1, "member": {
        "relation": "spouse", "name": "测试配偶"}},
    ("POST", "/households/{household_id}/members/{member_id}/move"): lambda w: {
        "target_household_id": w["own"]["household_id"], "relation": "other", "version": 1, "target_version": 1},
    ("PUT", "/agri-entities/{entity_id}"): lambda w: {**_entity_body(w, w["own"]["household_id"]), "version": 1},
    ("POST", "/households/{household_id}/images"): lambda w: {
        "kind": "house", "content_type": "image/jpeg", "size": 10, "sha256": "0" * 64},
    ("POST", "/campaigns/{campaign_id}/confirm"): lambda w: {"comment": "公示无异议"},
    ("POST", "/campaigns/{campaign_id}/cancel"): lambda w: {"reason": "本轮授信作废"},
    ("POST", "/campaigns/{campaign_id}/objections"): lambda w: {
        "household_id": w["ids"]["household"], "raised_by": "村民", "reason": "收入偏高"},
    ("POST", "/campaigns/{campaign_id}/objections/{objection_id}/decision"): lambda w: {
        "decision": "dismiss", "reason": "经核实无误"},
    ("POST", "/ratings/{rating_id}/adjust"): lambda w: {"target_grade": "A", "reason": "村委评议下调", "version": 1},
    ("POST", "/ratings/{rating_id}/approve"): lambda w: {"comment": "同意", "version": 1},
    ("POST", "/drawdowns/{drawdown_id}/reconciliation"): lambda w: {"posted": False, "comment": "核心无此笔"},
    ("POST", "/drawdowns/{drawdown_id}/reconciliation/{proposal_id}/decision"): lambda w: {
        "outcome": "approve", "comment": "同意"},
    ("POST", "/tasks/{task_id}/decision"): lambda w: {"outcome": "approve", "comment": "同意"},
    ("POST", "/loans/{loan_id}/repayments"): lambda w: {"kind": "due", "amount": "100.00"},
    ("POST", "/postloan/warnings/{signal_id}/acknowledge"): lambda w: {"version": 1, "note": "已签收"},
    ("POST", "/postloan/warnings/{signal_id}/resolve"): lambda w: {"version": 1, "resolution": "已催收"},
    ("POST", "/postloan/warnings/{signal_id}/dismiss"): lambda w: {"version": 1, "reason": "非风险"},
    ("POST", "/postloan/inspections/{task_id}/photos"): lambda w: {"content_type": "image/jpeg"},
    ("POST", "/postloan/inspections/{task_id}/visit"): lambda w: _body_of_visit(),
}
#: Required query parameters of routes with an id in their path.
QUERIES = {("DELETE", "/households/{household_id}/members/{member_id}"): {"version": "1"}}


def _entity_body(w: dict[str, Any], rep_household: str, village: str | None = None) -> dict[str, Any]:
    from tests.integration.test_customers_entities import entity, make_uscc

    own = w["own"]
    body = entity({"household_id": rep_household, "head_member_id": own["head_member_id"]},
                  make_uscc("93", "220182", uuid.uuid4().hex[:8].upper()), "cooperative")
    body["village_code"] = village or yushu_village()
    return body


# ------------------------------------------------------------------------------------------------ cases
@dataclass
class Case:
    """One route driven twice by one caller: ``build(variant)`` → (method, path, request kwargs)."""

    label: str
    user: str
    build: Callable[[str], tuple[str, str, dict[str, Any]]]
    route: tuple[str, str] = ("", "")


def _callers(spec) -> list[str]:
    from chalicelib.platform.access import PERMISSIONS

    return [u for u in CALLERS if u != "farmer.demo" or (spec.permission or "") in PERMISSIONS["farmer"]]


def _kinds(spec) -> dict[str, str]:
    names = re.findall(r"{(\w+)}", spec.path)
    per_route = next((kinds for prefix, kinds in KIND_BY_ROUTE.items() if spec.path.startswith(prefix)), {})
    return {n: per_route.get(n) or KIND_OF_PARAMETER.get(n) for n in names if n not in FIXED}


def _unknown_ids(w: dict[str, Any]) -> dict[str, str]:
    if "unknown" not in w:
        unknown = {k: unknown_like(v) for k, v in w["ids"].items()}
        unknown["village"] = unserved_village()
        unknown["job_run"] = "2031-01-08"
        w["unknown"] = unknown
    return w["unknown"]


def path_cases(w: dict[str, Any]) -> list[Case]:
    """Every route with ids in its path, for each caller: all ids foreign vs all unknown, and for a nested
    route also the parent foreign with an unknown child vs all unknown."""
    from chalicelib.routes import all_specs

    cases = []
    for _, spec in all_specs():
        key = (spec.method, spec.path)
        kinds = _kinds(spec)
        if not kinds or key in NO_ENTITY_ID or spec.path.startswith("/audit/"):
            continue
        names = list(kinds)
        mixes = [("foreign", {n: "foreign" for n in names})]
        if len(names) > 1:
            mixes.append(("foreign-parent", {n: "foreign" if i == 0 else "unknown" for i, n in enumerate(names)}))
        for user in _callers(spec):
            for mix_label, mix in mixes:
                cases.append(Case(f"{spec.method} {spec.path} as {user} ({mix_label})", user,
                                  _path_builder(w, spec, kinds, mix), key))
    for entity_type, kind in AUDITED.items():
        for user in ("am.yushu", "admin.yushu"):
            def build(variant, entity_type=entity_type, kind=kind):
                ids = w["ids"] if variant == "foreign" else _unknown_ids(w)
                return "GET", f"/audit/{entity_type}/{quote(ids[kind], safe='')}?limit=1", {}
            cases.append(Case(f"GET /audit/{entity_type}/{{entity_id}} as {user}", user, build,
                              ("GET", "/audit/{entity_type}/{entity_id}")))
    return cases


def _one_per_page(spec) -> dict[str, str]:
    """Listings are asked for pages of one item: a cursor that continues past an item the caller may not see
    (or its absence) would show."""
    return {"limit": "1"} if spec.query is not None and "limit" in spec.query.model_fields else {}


def _path_builder(w, spec, kinds, mix):
    def build(variant: str):
        values = {}
        for name, kind in kinds.items():
            use = mix[name] if variant == "foreign" else "unknown"
            values[name] = (w["ids"] if use == "foreign" else _unknown_ids(w))[kind]
        values.update({k: v for k, v in FIXED.items() if "{" + k + "}" in spec.path})
        path = spec.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        kwargs: dict[str, Any] = {}
        if spec.body is not None:
            make = BODIES.get((spec.method, spec.path))
            assert make is not None, f"add a valid body for {spec.method} {spec.path} to BODIES"
            kwargs["json"] = make(w)
        if spec.idempotent:
            kwargs["headers"] = {"Idempotency-Key": uuid.uuid4().hex}
        params = {**QUERIES.get((spec.method, spec.path), {}), **_one_per_page(spec)}
        if params:
            kwargs["params"] = params
        return spec.method, path, kwargs
    return build


#: Routes without an id in their path, driven through the ids in their query: (route, parameter → kind, fixed
#: query parameters).
QUERY_CASES = [
    (("GET", "/drawdowns"), {"household_id": "household"}, {}),
    (("GET", "/loans"), {"household_id": "household"}, {}),
    (("GET", "/postloan/warnings"), {"org_id": "org"}, {}),
    (("GET", "/postloan/warnings"), {"village_code": "village"}, {}),
    (("GET", "/postloan/warnings"), {"assignee": "user"}, {}),
    (("GET", "/postloan/overdue"), {"org_id": "org"}, {}),
    (("GET", "/postloan/overdue"), {"village_code": "village"}, {}),
    (("GET", "/postloan/classification"), {"org_id": "org"}, {"category": "npl"}),
    (("GET", "/postloan/classification"), {"village_code": "village"}, {"category": "npl"}),
    (("GET", "/postloan/classification/summary"), {"org_id": "org"}, {}),
    (("GET", "/postloan/classification/summary"), {"village_code": "village"}, {}),
    (("GET", "/postloan/inspections"), {"assignee": "user"}, {}),
    (("GET", "/postloan/inspections"), {"assignee": "user"}, {"status": "closed"}),
]


def query_cases(w: dict[str, Any]) -> list[Case]:
    from chalicelib.routes import all_specs

    specs = {(s.method, s.path): s for _, s in all_specs()}
    cases = []
    for route, ids, fixed in QUERY_CASES:
        for user in _callers(specs[route]):
            def build(variant, route=route, ids=ids, fixed=fixed):
                source = w["ids"] if variant == "foreign" else _unknown_ids(w)
                return route[0], route[1], {"params": {**_one_per_page(specs[route]), **fixed,
                                                       **{p: source[k] for p, k in ids.items()}}}
            cases.append(Case(f"{route[0]} {route[1]}?{','.join(ids)} as {user}", user, build, route))
    return cases


#: One op id for both requests of the sync case (a rejected record leaves no receipt to replay). The case is an
#: update (``base_version`` 1) of the named household; a sync *create* names a new, client-chosen UUID: that a
#: taken one is refused (``HOUSEHOLD_ID_TAKEN``, nothing more) is a uniqueness answer, see decision 0050.
SYNC_OP_ID = str(uuid.uuid4())


def _sync_body(hid: str) -> dict[str, Any]:
    return {"device_id": "PAD-Y1", "records": [{"op_id": SYNC_OP_ID, "household_id": hid, "base_version": 1,
                                                "household": household_body(yushu_village())}]}


#: Routes without an id in their path, driven through the ids in their body: (route, users, body of the ids).
BODY_CASES: list[tuple[tuple[str, str], tuple[str, ...], Callable[[dict[str, Any], dict[str, str]], dict]]] = [
    (("POST", "/households/search"), ("am.yushu", "admin.yushu", "farmer.demo"),
     lambda w, ids: {"resident_id": ids["resident_id"]}),
    (("POST", "/drawdowns"), ("am.yushu", "farmer.demo"), lambda w, ids: {
        "line_id": ids["line"], "product_code": "NH_XYD", "amount": "20000.00", "term_months": 12,
        "repayment_method": "equal_installment", "interest_period": "monthly", "purpose": "planting",
        "consent": True}),
    (("POST", "/households/{household_id}/members/{member_id}/move"), ("am.yushu",), lambda w, ids: {
        "target_household_id": ids["household"], "relation": "other", "version": 1, "target_version": 1}),
    (("POST", "/agri-entities"), ("am.yushu",), lambda w, ids: _entity_body(w, ids["household"])),
    (("POST", "/sync/households"), ("am.yushu",), lambda w, ids: _sync_body(ids["household"])),
    (("POST", "/imports"), ("am.yushu", "admin.yushu"), lambda w, ids: {
        "village_code": ids["village"], "filename": "r.csv", "content_type": "text/csv", "size": 100}),
    (("POST", "/campaigns"), ("am.yushu", "admin.yushu"), lambda w, ids: {"village_code": ids["village"]}),
    (("POST", "/households"), ("am.yushu",), lambda w, ids: household_body(ids["village"])),
]


def body_cases(w: dict[str, Any]) -> list[Case]:
    from chalicelib.routes import all_specs

    specs = {(s.method, s.path): s for _, s in all_specs()}
    cases = []
    for route, users, make in BODY_CASES:
        spec = specs[route]
        for user in users:
            def build(variant, route=route, make=make, spec=spec):
                ids = dict(w["ids"] if variant == "foreign" else _unknown_ids(w))
                ids["resident_id"] = w["resident_id"] if variant == "foreign" else new_id()
                path = route[1]
                if "{" in path:  # the caller's own household and member: only the body's id varies
                    own = w["own"]
                    path = path.replace("{household_id}", own["household_id"]).replace(
                        "{member_id}", own["members"][1]["member_id"])
                kwargs: dict[str, Any] = {"json": make(w, ids)}
                if spec.idempotent:
                    kwargs["headers"] = {"Idempotency-Key": uuid.uuid4().hex}
                return route[0], path, kwargs
            cases.append(Case(f"{route[0]} {route[1]} (ids in the body) as {user}", user, build, route))
    return cases


# ------------------------------------------------------------------------------------------------ tests
def _send(client, case: Case, variant: str, correlation: str):
    method, path, kwargs = case.build(variant)
    headers = {**kwargs.pop("headers", {}), "X-Correlation-Id": correlation}
    return client.as_user(case.user).request(method, path, headers=headers, **kwargs)


def _answers_differ(foreign, unknown) -> str | None:
    def headers(r):
        return {k.lower(): v for k, v in r.headers.items() if k.lower() != "date"}

    if foreign.status_code >= 500 or unknown.status_code >= 500:
        return f"server error: {foreign.status_code} / {unknown.status_code}"
    if (foreign.status_code, foreign.content, headers(foreign)) != (unknown.status_code, unknown.content,
                                                                      headers(unknown)):
        return (f"foreign {foreign.status_code} {foreign.text[:300]} {headers(foreign)}\n"
                f"   unknown {unknown.status_code} {unknown.text[:300]} {headers(unknown)}")
    return None


class _Echo:
    """A response with the ids its own request named replaced by their kind (a route may echo what it was
    asked, e.g. the sync result's ``household_id``; that tells the caller nothing it did not send)."""

    def __init__(self, response, ids: dict[str, str]):
        self.status_code, self.headers = response.status_code, response.headers
        text = response.content.decode("utf-8", errors="replace")
        for kind, value in sorted(ids.items(), key=lambda kv: -len(kv[1])):
            text = text.replace(value, f"<{kind}>")
        self.content = self.text = text


def _drive(client, cases: list[Case], w: dict[str, Any]) -> list[str]:
    problems = []
    for case in cases:
        correlation = f"scope-{uuid.uuid4().hex}"
        foreign = _Echo(_send(client, case, "foreign", correlation), w["ids"])
        unknown = _Echo(_send(client, case, "unknown", correlation), _unknown_ids(w))
        diff = _answers_differ(foreign, unknown)
        if diff:
            problems.append(f"{case.label}:\n   {diff}")
    return problems


def test_every_route_is_driven_or_reviewed(nongan):
    """A route is covered by the path cases (ids in its path), the query or body cases, or the reviewed list."""
    from chalicelib.routes import all_specs

    driven = {c.route for c in path_cases(nongan) + query_cases(nongan) + body_cases(nongan)}
    missing = []
    for _, spec in all_specs():
        key = (spec.method, spec.path)
        unknown_params = [n for n, kind in _kinds(spec).items() if kind is None and key not in NO_ENTITY_ID]
        assert not unknown_params, f"{spec.method} {spec.path}: add {unknown_params} to KIND_OF_PARAMETER"
        if key not in driven and key not in NO_ENTITY_ID:
            missing.append(f"{spec.method} {spec.path}")
    assert not missing, f"routes neither driven nor reviewed: {missing}"


def test_ids_in_the_path_answer_the_same_for_foreign_and_unknown(client, nongan):
    problems = _drive(client, path_cases(nongan), nongan)
    assert not problems, "\n".join(problems)
    _assert_unchanged(client, nongan)


def test_ids_in_the_query_answer_the_same_for_foreign_and_unknown(client, nongan):
    problems = _drive(client, query_cases(nongan), nongan)
    assert not problems, "\n".join(problems)


def test_ids_in_the_body_answer_the_same_for_foreign_and_unknown(client, nongan):
    problems = _drive(client, body_cases(nongan), nongan)
    assert not problems, "\n".join(problems)
    _assert_unchanged(client, nongan)


def _assert_unchanged(client, nongan) -> None:
    """After the write routes were driven: 农安's objects are as they were made."""
    hid = nongan["ids"]["household"]
    r = client.as_user("am.nongan").get(f"/households/{hid}")
    assert r.status_code == 200 and r.json()["version"] == nongan["household"]["version"]
    assert r.json()["members"] == nongan["household"]["members"]
    w = client.as_user("admin.nongan").get(f"/postloan/warnings/{nongan['ids']['warning']}").json()
    assert w["status"] == "open" and w["version"] == 1
    dd = client.as_user("admin.nongan").get(f"/drawdowns/{nongan['ids']['drawdown']}").json()
    assert dd["status"] == "REQUESTED"
    assert client.as_user("admin.nongan").get(f"/ratings/{nongan['ids']['rating']}").json()["version"] == 1


def test_a_person_of_another_institution_is_refused_like_one_of_ones_own(client, nongan):
    """One person, one household, province-wide: filing a person who belongs to a household is refused; the
    answer is the same whether that household is the caller's own or another institution's (it names neither).
    That a valid ID number is filed somewhere is what any uniqueness rule tells whoever may file people (see
    docs/decisions/0050)."""
    api = client.as_user("am.yushu")
    mine = api.get(f"/households/{nongan['own']['household_id']}?reveal=true").json()
    own_person = next(m["resident_id"] for m in mine["members"] if m["relation"] == "head")
    answers = []
    for person in (nongan["resident_id"], own_person):
        body = household_body(yushu_village(), head_id=person)
        r = api.post("/households", json=body, headers={"X-Correlation-Id": "scope-person"})
        answers.append((r.status_code, r.content))
    assert answers[0] == answers[1], answers
    assert answers[0][0] == 409 and b"PERSON_IN_OTHER_HOUSEHOLD" in answers[0][1]
