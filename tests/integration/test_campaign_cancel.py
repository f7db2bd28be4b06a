"""A campaign whose workflow fails or dies no longer keeps its village for ever (issue found by a probe: the
``VILLAGE#<code>/CAMPAIGN_LOCK`` item stayed, and the village could never run another campaign). A failed
campaign keeps the village and its proposals (ADR 0011, decision 9) until it is restarted or, now, cancelled:
``POST /campaigns/{id}/cancel`` abandons a campaign that is not confirmed; a campaign whose execution ended
without its failure step is marked failed when the village is started again.

Villages (哈拉海镇, the demo account managers' outlet; no other test uses them): 220122102220 (cancel),
220122102221 (a dead execution), 220122102222 (cancel racing the confirmation), 220122102223 (no household:
the load step fails), 220122102214 (concurrent cancellations).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import wait_for

CANCEL_VILLAGE = "220122102220"
DEAD_VILLAGE = "220122102221"
RACE_VILLAGE = "220122102222"
EMPTY_VILLAGE = "220122102223"
TWICE_VILLAGE = "220122102214"
REASON = {"reason": "村委会换届，本轮授信作废"}


def _seed(code: str, count: int, *, seed: int, tag: str) -> list[str]:
    from tests.factories import customers

    return [h["household_id"] for h in customers.synthetic_village(code, count, seed=seed, tag=tag)]


def _start(client, code: str, period: str, user: str = "am.nongan"):
    return client.as_user(user).post("/campaigns", json={"village_code": code, "period": period})


def _campaign(client, cid: str) -> dict:
    r = client.as_user("am.nongan").get(f"/campaigns/{cid}")
    assert r.status_code == 200, r.text
    return r.json()


def _wait(client, cid: str, statuses: set[str]) -> dict:
    return wait_for(lambda: (lambda c: c if c["status"] in statuses else None)(_campaign(client, cid)),
                    interval=0.5, what=f"campaign {cid} to reach {statuses}")


def _awaiting(client, code: str, period: str) -> str:
    r = _start(client, code, period)
    assert r.status_code == 202, r.text
    cid = r.json()["campaign_id"]
    c = _wait(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation", c.get("error")
    return cid


def _lock(code: str) -> dict | None:
    from chalicelib.rating.data import campaigns

    return campaigns.get_lock(code)


def _with_line(client, cid: str) -> dict[str, str]:
    items = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    return {r["household_id"]: r["line_id"] for r in items if r.get("line_id")}


def _line(client, line_id: str) -> dict:
    r = client.as_user("am.nongan").get(f"/lines/{line_id}")
    assert r.status_code == 200, r.text
    return r.json()


def _execution_ended(cid: str) -> str:
    import boto3

    from chalicelib.rating.data import campaigns

    arn = campaigns.get_unscoped(cid)["execution_arn"]
    sfn = boto3.client("stepfunctions")
    return wait_for(lambda: (lambda s: s if s != "RUNNING" else None)(sfn.describe_execution(executionArn=arn)["status"]),
                    interval=0.5, what=f"the execution of {cid} to end")


def test_a_campaign_that_fails_for_good_is_cancelled_and_the_village_can_run_another(client):
    """The load step fails (the village has no household to rate), and so does every restart: the campaign is
    failed and keeps the village (another period: 409 CAMPAIGN_RUNNING naming it as failed). Before, nothing could
    free the village. Cancelling it releases the lock; the next campaign starts."""
    r = _start(client, EMPTY_VILLAGE, "2026-F1")
    assert r.status_code == 202, r.text
    first = r.json()["campaign_id"]
    failed = _wait(client, first, {"failed", "awaiting_confirmation"})
    assert failed["status"] == "failed" and failed["error"]["Error"] == "ValidationFailed", failed
    assert "no household that can be rated" in failed["error"]["Cause"]
    r = _start(client, EMPTY_VILLAGE, "2026-F1")  # the restart fails again
    assert r.status_code == 202 and r.json()["attempt"] == 2, r.text
    assert _wait(client, first, {"failed", "awaiting_confirmation"})["status"] == "failed"

    r = _start(client, EMPTY_VILLAGE, "2026-F2", user="am2.nongan")
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert (error["code"], error["details"]["campaign_id"], error["details"]["status"]) == (
        "CAMPAIGN_RUNNING", first, "failed")
    assert "cancel" in error["message"]

    r = client.as_user("admin.nongan").post(f"/campaigns/{first}/cancel", json=REASON)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert _lock(EMPTY_VILLAGE) is None
    r = _start(client, EMPTY_VILLAGE, "2026-F2", user="am2.nongan")
    assert r.status_code == 202, r.text
    assert _wait(client, r.json()["campaign_id"], {"failed", "awaiting_confirmation"})["status"] == "failed"
    r = _start(client, EMPTY_VILLAGE, "2026-F1")  # a cancelled campaign is not started again
    assert r.status_code == 200 and r.json()["created"] is False and r.json()["status"] == "cancelled", r.text


def test_staff_cancel_a_campaign_awaiting_confirmation_and_its_households_and_village_are_free(client):
    """Cancelling withdraws the campaign's ratings and proposed lines (freeing the households' line slots),
    releases the village, stops the workflow and is audited with its reason; it is permission-checked, scoped to
    the caller's organisation, idempotent, and the next campaign proposes the same households' lines again.
    A confirmed campaign is not cancelled (409 CAMPAIGN_CONFIRMED)."""
    _seed(CANCEL_VILLAGE, 8, seed=5151, tag="C")
    cid = _awaiting(client, CANCEL_VILLAGE, "2026-C1")
    lined = _with_line(client, cid)
    assert len(lined) >= 3, lined
    assert _lock(CANCEL_VILLAGE)["campaign_id"] == cid
    version = _campaign(client, cid)["version"]

    refused = [(client.as_user("am.nongan").post(f"/campaigns/{cid}/cancel", json=REASON), 403, "PERMISSION_DENIED"),
               (client.as_user("approver.nongan").post(f"/campaigns/{cid}/cancel", json=REASON), 403, "PERMISSION_DENIED"),
               (client.as_user("admin.yushu").post(f"/campaigns/{cid}/cancel", json=REASON), 404,
                "CAMPAIGN_NOT_FOUND"),
               (client.as_user("admin.nongan").post(f"/campaigns/{cid}/cancel", json={}), 422, "REQUEST_VALIDATION"),
               (client.as_user("admin.nongan").post(f"/campaigns/{cid}/cancel", json={"reason": " "}), 422,
                "REQUEST_VALIDATION")]
    assert [(r.status_code, r.json()["error"]["code"]) for r, *_ in refused] == [(s, c) for _, s, c in refused], \
        [r.text for r, *_ in refused]
    assert _campaign(client, cid)["status"] == "awaiting_confirmation" and _campaign(client, cid)["version"] == version

    r = client.as_user("admin.nongan").post(f"/campaigns/{cid}/cancel", json=REASON)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert _lock(CANCEL_VILLAGE) is None
    assert {hid: _line(client, lid)["status"] for hid, lid in lined.items()} == {hid: "withdrawn" for hid in lined}
    items = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    assert items and {i["status"] for i in items} == {"withdrawn"}
    assert _execution_ended(cid) in ("ABORTED", "FAILED")  # moto ends a stopped callback wait as FAILED
    assert _campaign(client, cid)["status"] == "cancelled"  # the workflow's failure step did not touch it
    trail = client.as_user("admin.nongan").get(f"/audit/campaign/{cid}?limit=50").json()["items"]
    cancelled = [t for t in trail if t["action"] == "campaign.cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["reason"] == REASON["reason"], trail

    again = client.as_user("admin.nongan").post(f"/campaigns/{cid}/cancel", json=REASON)
    assert again.status_code == 200 and again.json()["status"] == "cancelled", again.text
    assert again.json()["version"] == r.json()["version"]
    r = client.as_user("admin.nongan").post(f"/campaigns/{cid}/confirm", json={"comment": "公示期满"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "CAMPAIGN_NOT_AWAITING_CONFIRMATION", r.text

    # the households' slots and the village are free: the next campaign proposes the same lines again
    nxt = _awaiting(client, CANCEL_VILLAGE, "2026-C2")
    assert set(_with_line(client, nxt)) == set(lined)
    r = client.as_user("admin.nongan").post(f"/campaigns/{nxt}/confirm", json={"comment": "公示期满"})
    assert r.status_code == 200, r.text
    assert _wait(client, nxt, {"completed", "failed"})["status"] == "completed"
    r = client.as_user("admin.nongan").post(f"/campaigns/{nxt}/cancel", json=REASON)
    assert r.status_code == 409 and r.json()["error"]["code"] == "CAMPAIGN_CONFIRMED", r.text
    assert all(_line(client, lid)["status"] == "active" for lid in _with_line(client, nxt).values())


def test_a_campaign_whose_execution_died_is_failed_and_resumed_by_starting_it_again(client):
    """The execution ends outside the workflow (stopped; moto ends it only when the waiting task is failed, and
    then without running MarkFailed): the campaign still says awaiting_confirmation and nothing would ever change
    that. A start of the village sees the dead execution and marks the campaign failed (EXECUTION_FAILED): another
    period is refused naming it as failed, and starting it again restarts it (attempt 2) with its ratings."""
    import boto3

    from chalicelib.rating.data import campaigns

    _seed(DEAD_VILLAGE, 5, seed=6262, tag="D")
    cid = _awaiting(client, DEAD_VILLAGE, "2026-D1")
    lined = _with_line(client, cid)
    sfn, stored = boto3.client("stepfunctions"), campaigns.get_unscoped(cid)
    sfn.stop_execution(executionArn=stored["execution_arn"], error="Lambda.ServiceException", cause="test: died")
    sfn.send_task_failure(taskToken=stored["task_token"], error="Lambda.ServiceException", cause="test: died")
    assert _execution_ended(cid) == "FAILED"
    c = _campaign(client, cid)
    assert (c["status"], c["execution_status"]) == ("awaiting_confirmation", "FAILED")

    r = _start(client, DEAD_VILLAGE, "2026-D2")
    assert r.status_code == 409 and r.json()["error"]["details"] == {
        "campaign_id": cid, "period": "2026-D1", "status": "failed"}, r.text
    r = _start(client, DEAD_VILLAGE, "2026-D1")
    assert r.status_code == 202 and r.json()["created"] is True and r.json()["attempt"] == 2, r.text
    trail = client.as_user("admin.nongan").get(f"/audit/campaign/{cid}?limit=50").json()["items"]
    failed = [t for t in trail if t["action"] == "campaign.failed"]
    assert len(failed) == 1 and failed[0]["after"]["error"]["Error"] == "EXECUTION_FAILED", trail
    c = _wait(client, cid, {"awaiting_confirmation", "failed"})
    assert c["status"] == "awaiting_confirmation" and c["attempt"] == 2, c.get("error")
    assert _with_line(client, cid) == lined
    assert _lock(DEAD_VILLAGE)["campaign_id"] == cid


def test_a_cancellation_and_a_confirmation_sent_together_never_both_succeed(client):
    """Released together by a barrier: exactly one of them succeeds; a cancelled campaign has no active line and
    its village is free, a confirmed one completes with its lines active."""
    _seed(RACE_VILLAGE, 6, seed=7373, tag="R")
    cid = _awaiting(client, RACE_VILLAGE, "2026-R1")
    lined = _with_line(client, cid)
    for user in ("admin.nongan", "approver.nongan"):  # tokens fetched before the race
        assert client.as_user(user).get("/me").status_code == 200
    barrier = threading.Barrier(2)

    def send(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=2) as pool:
        cancel = pool.submit(send, lambda: client.as_user("admin.nongan").post(f"/campaigns/{cid}/cancel",
                                                                                json=REASON))
        confirm = pool.submit(send, lambda: client.as_user("approver.nongan").post(f"/campaigns/{cid}/confirm",
                                                                                    json={"comment": "公示期满"}))
        cancel, confirm = cancel.result(), confirm.result()
    codes = sorted([cancel.status_code, confirm.status_code])
    assert codes == [200, 409], (cancel.text, confirm.text)
    if cancel.status_code == 200:
        assert confirm.json()["error"]["code"] == "CAMPAIGN_NOT_AWAITING_CONFIRMATION"
        assert _campaign(client, cid)["status"] == "cancelled"
        assert {_line(client, lid)["status"] for lid in lined.values()} == {"withdrawn"}
        assert _lock(RACE_VILLAGE) is None
    else:
        assert cancel.json()["error"]["code"] == "CAMPAIGN_CONFIRMED"
        assert _wait(client, cid, {"completed", "failed"})["status"] == "completed"
        assert {_line(client, lid)["status"] for lid in lined.values()} == {"active"}


def test_concurrent_cancellations_all_answer_the_cancelled_campaign(client):
    """Issue found by a probe: two or three cancellations of one campaign sent at once (a client's retry, two
    staff) each withdrew the same proposals; the ones that lost a household's transaction answered 409
    ``VERSION_CONFLICT`` or ``CREDIT_LINE_STATE_CONFLICT`` (codes the route does not document), although the
    ADR says a second cancellation returns the campaign. Now each answers 200 with the cancelled campaign, and
    every rating and proposed line of it ends withdrawn."""
    _seed(TWICE_VILLAGE, 40, seed=9191, tag="T")
    cid = _awaiting(client, TWICE_VILLAGE, "2026-T1")
    lines = _with_line(client, cid)
    assert lines
    admin = client.as_user("admin.nongan")
    barrier = threading.Barrier(3)

    def cancel(_n: int):
        barrier.wait()
        return admin.post(f"/campaigns/{cid}/cancel", json=REASON)

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(cancel, range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert {a.json()["status"] for a in answers} == {"cancelled"}
    assert {_line(client, line_id)["status"] for line_id in lines.values()} == {"withdrawn"}
    ratings = client.as_user("am.nongan").get(f"/campaigns/{cid}/ratings?limit=500").json()["items"]
    assert ratings and {r["status"] for r in ratings} == {"withdrawn"}
    assert _lock(TWICE_VILLAGE) is None
