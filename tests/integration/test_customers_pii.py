"""Personal data protection proven on the raw storage and the captured logs: after filing, importing,
syncing, searching, revealing and failing validation with real-looking numbers, no plain resident ID
or phone number is in any table item, any S3 object or any log line; the stored ciphertexts decrypt
back (envelope encryption with a KMS data key) and the hashes are keyed."""
from __future__ import annotations

import json
import logging
import uuid
from datetime import date

import boto3
import pytest
import requests

from infra.roster_synth import synth_households, to_csv
from tests.conftest import HANG_GUARD_SECONDS
from tests.integration.customers_support import household, new_id
from tests.integration.test_customers_import import run_import

pytestmark = pytest.mark.stack


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record) + " " + json.dumps(record.__dict__, default=str, ensure_ascii=False))
        except Exception:  # noqa: BLE001 - a log record we cannot render is still checked by message
            self.lines.append(str(record.msg))


def _readable(value: object) -> str:
    """Binary attributes (e.g. zlib-compressed job aggregates) are opened so that nothing hides in them."""
    import zlib

    raw = bytes(value)
    try:
        return zlib.decompress(raw).decode("utf-8", "replace")
    except zlib.error:
        return raw.decode("latin-1")


def _scan_all(table: str) -> list[dict]:
    ddb = boto3.client("dynamodb")
    items, start = [], None
    while True:
        kw = {"TableName": table, **({"ExclusiveStartKey": start} if start else {})}
        resp = ddb.scan(**kw)
        items += resp["Items"]
        start = resp.get("LastEvaluatedKey")
        if not start:
            return items


def test_no_plain_id_or_phone_in_tables_objects_or_logs(client, stack, capfd):
    collect = _Collect()
    loggers = [logging.getLogger(), logging.getLogger("village-credit")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(collect)
        lg.setLevel(logging.INFO)
    try:
        head_id, spouse_id, phone = new_id(date(1971, 4, 4)), new_id(date(1973, 9, 9), male=False), "13704311234"
        body = household(head_id=head_id, spouse_id=spouse_id, head_phone=phone)
        api = client.as_user("am.nongan")
        hh = api.post("/households", json=body).json()
        assert api.get(f"/households/{hh['household_id']}?reveal=true").json()["members"][0]["resident_id"] == head_id
        assert api.post("/households/search", json={"resident_id": head_id}).status_code == 200
        # a validation failure and a conflict with real-looking numbers must not echo them
        wrong = head_id[:-1] + ("1" if head_id[-1] != "1" else "2")
        bad = household(head_id=wrong)
        assert api.post("/households", json=bad).status_code == 422
        dup = household(head_id=head_id)
        assert api.post("/households", json=dup).status_code == 409
        # a roster import and a PAD sync
        roster = synth_households(4, seed=777)
        job = run_import(client, to_csv(roster))
        assert job["counts"]["created"] == 4
        synced = household()
        r = api.post("/sync/households", json={"device_id": "PAD-P", "records": [
            {"op_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "base_version": None,
             "household": synced}]})
        assert r.json()["results"][0]["outcome"] == "created"
    finally:
        for lg, level in saved:
            lg.removeHandler(collect)
            lg.setLevel(level)
    out, err = capfd.readouterr()

    numbers = {head_id, spouse_id, phone, wrong, head_id.lower()}
    numbers |= {m["resident_id"] for m in synced["members"]} | {m["phone"] for m in synced["members"] if m.get("phone")}
    numbers |= {p.resident_id for h in roster for p in h.members} | {p.phone for h in roster for p in h.members if p.phone}
    for m in dup["members"] + bad["members"]:
        numbers.add(m["resident_id"])
    numbers.discard("")

    core = json.dumps(_scan_all(stack.env["CORE_TABLE"]), ensure_ascii=False, default=_readable)
    audit = json.dumps(_scan_all(stack.env["AUDIT_TABLE"]), ensure_ascii=False, default=_readable)
    s3 = boto3.client("s3")
    bucket = stack.env["DOCUMENTS_BUCKET"]
    objects = "".join(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode("utf-8", "replace")
                      for o in s3.list_objects_v2(Bucket=bucket, Prefix="imports/").get("Contents", [])
                      if o["Key"].endswith(".json"))
    logs = "\n".join(collect.lines) + out + err
    assert collect.lines, "the log capture saw nothing: the check would be vacuous"
    assert "request refused" in logs and "PERSON_IN_OTHER_HOUSEHOLD" in logs
    for n in numbers:
        assert n not in core, "plain number in the core table"
        assert n not in audit, "plain number in the audit table"
        assert n not in objects, "plain number in an S3 report"
        assert n not in logs, "plain number in the logs"

    # what is stored instead: masked, keyed hash, envelope ciphertext that decrypts back
    from chalicelib.customers.data import households
    from chalicelib.platform import pii

    item = households.get_unscoped(hh["household_id"])
    head = item["members"][0]
    assert head["resident_id_masked"] == head_id[:6] + "********" + head_id[-4:]
    assert head["resident_id_hash"] == pii.keyed_hash(head_id, purpose="resident_id")
    assert head["resident_id_hash"] != __import__("hashlib").sha256(head_id.encode()).hexdigest()
    assert head["resident_id_enc"].startswith("v1.")
    key_id = head["resident_id_enc"].split(".")[1]
    wrapped = boto3.client("dynamodb").get_item(TableName=stack.env["CORE_TABLE"],
                                                Key={"PK": {"S": f"PIIKEY#{key_id}"}, "SK": {"S": "PIIKEY"}})["Item"]
    assert "wrapped_key" in wrapped and "plaintext" not in json.dumps(wrapped).lower()
    pii.reset_caches()  # force a KMS Decrypt of the wrapped data key
    assert pii.decrypt(head["resident_id_enc"], purpose="resident_id") == head_id
    assert pii.decrypt(head["phone_enc"], purpose="phone") == phone
    with pytest.raises(pii.PiiError):
        pii.decrypt(head["resident_id_enc"], purpose="phone")
    report = requests.get(job["report_url"], timeout=HANG_GUARD_SECONDS).json()
    assert report["counts"]["created"] == 4
