"""Roster import of real files laid out as village rosters are kept (issue 10): 户编号 merged down a
household's rows (XLSX) or blank on member rows (CSV, UTF-8 with BOM and GB18030), ambiguous layouts,
ID numbers typed as numbers, invisible characters and inexact money. Every file goes through the API
(presigned upload, import function, job report); what is stored is read back through the API."""
from __future__ import annotations

from datetime import date

import pytest
import requests

from infra.roster_synth import synth_households
from tests.conftest import HANG_GUARD_SECONDS
from tests.integration.customers_support import household, new_id
from tests.integration.test_customers_import import XLSX, run_import
from tests.roster_files import ADDRESS, NUMBER, PHONE, RID, blank_member_numbers, csv_bytes, spans, table, xlsx_bytes

pytestmark = pytest.mark.stack


def _masked(resident_id: str) -> str:
    """The documented mask: first 6, eight asterisks, last 4 (``220122********123X``)."""
    return resident_id[:6] + "*" * 8 + resident_id[-4:]


def _stored(client, job: dict) -> list[dict]:
    """The households the import wrote (created or updated), in file order, read through the API."""
    report = requests.get(job["report_url"], timeout=HANG_GUARD_SECONDS).json()
    out = []
    for h in sorted(report["households"], key=lambda h: h["rows"][0]):
        if h["outcome"] in ("created", "updated", "unchanged"):
            r = client.as_user("am.nongan").get(f"/households/{h['household_id']}")
            assert r.status_code == 200, r.text
            out.append(r.json())
    return out


def _people_of(stored: dict) -> list[tuple[str, str | None]]:
    return [(m["name"], m["resident_id_masked"]) for m in stored["members"]]


def _expected(hhs) -> list[list[tuple[str, str]]]:
    return [[(p.name, _masked(p.resident_id)) for p in hh.members] for hh in hhs]


def _no_row_dropped(job: dict) -> None:
    c = job["counts"]
    members = sum(c[f"members_{o}"] for o in ("created", "updated", "unchanged", "invalid", "conflict"))
    assert c["rows_read"] == job["progress"]["data_rows"] == members + c["rows_unassigned"]
    assert c["rows_with_errors"] == len({e["row"] for e in job["errors"]})


def test_an_xlsx_with_household_numbers_merged_down_the_rows_stores_every_member(client):
    hhs = synth_households(6, seed=101001)
    people = sum(len(h.members) for h in hhs)
    assert people > len(hhs)  # households with members, not heads only
    tab = table(hhs)
    data = xlsx_bytes(tab, merge=spans(tab), merge_columns=(NUMBER, ADDRESS))
    job = run_import(client, data, filename="花名册.xlsx", content_type=XLSX)
    assert job["status"] == "completed" and job["errors"] == [], job
    c = job["counts"]
    assert (c["created"], c["members_created"], c["rows_read"], c["invalid"], c["rows_unassigned"]) == (
        6, people, people, 0, 0)
    _no_row_dropped(job)
    stored = _stored(client, job)
    assert [_people_of(h) for h in stored] == _expected(hhs)
    assert [h["address"] for h in stored] == [h.values["住址"] for h in hhs]


@pytest.mark.parametrize("encoding,seed", [("utf-8-sig", 101002), ("gb18030", 101003)])
def test_a_csv_with_blank_household_numbers_on_member_rows_stores_every_member(client, encoding, seed):
    hhs = synth_households(5, seed=seed)
    people = sum(len(h.members) for h in hhs)
    data = csv_bytes(blank_member_numbers(table(hhs)), encoding=encoding)
    job = run_import(client, data, filename="花名册.csv")
    assert job["status"] == "completed" and job["errors"] == [], job
    c = job["counts"]
    assert (c["created"], c["members_created"], c["rows_read"], c["invalid"]) == (5, people, people, 0)
    _no_row_dropped(job)
    assert [_people_of(h) for h in _stored(client, job)] == _expected(hhs)


def test_ambiguous_rows_are_refused_with_their_own_codes_and_counted(client):
    ids = {k: new_id(date(1970 + k, 3, 9), male=k % 2 == 1) for k in range(1, 10)}
    # never 0: a number ending in 000 reads as one a spreadsheet stored as a number (ID_STORED_AS_NUMBER)
    wrong_check = ids[8][:-1] + next(d for d in "123456789" if d != ids[8][-1])
    text = ("户编号,与户主关系,姓名,身份证号\n"
            f",配偶,甲妻,{ids[2]}\n"                       # 2: blank number on the first data row
            f"A1,户主,王春,{ids[1]}\n"                      # 3
            f",配偶,李芳,{ids[4]}\n"                        # 4: continues A1
            f",儿子,王小,{ids[3]}\n"                        # 5: continues A1
            f",户主,赵强,{ids[5]}\n"                        # 6: head row without a number
            f",配偶,钱芳,{ids[6]}\n"                        # 7: below a refused row
            f"A2,户主,孙林,{ids[7]}\n"                      # 8
            f",配偶,周红,{wrong_check}\n"                    # 9: wrong check digit: A2 refused
            f",女儿,孙丽,{ids[9]}\n"                        # 10: continues the refused household A2
            f"A1,女儿,王丽,{new_id(date(2001, 1, 2), male=False)}\n"  # 11: A1 again after A2
            f"A3,户主,吴刚,{new_id(date(1966, 6, 6))}\n"    # 12
            f",配偶,郑梅,{new_id(date(1968, 8, 8), male=False)}\n")  # 13
    job = run_import(client, text.encode("utf-8-sig"), filename="layout.csv")
    assert job["status"] == "completed", job
    got = [(e["row"], e["field"], e["code"]) for e in job["errors"]]
    assert got == [(2, "户编号", "ROSTER_NO_HOUSEHOLD"), (6, "户编号", "ROSTER_HEAD_WITHOUT_NUMBER"),
                   (7, "户编号", "ROSTER_NO_HOUSEHOLD"), (9, "身份证号", "ID_CHECK_DIGIT"),
                   (11, "户编号", "ROSTER_HOUSEHOLD_NOT_CONTIGUOUS")]
    c = job["counts"]
    # A1 (rows 3, 4, 5, 11) and A2 (8, 9, 10) refused whole; A3 (12, 13) written; 2, 6, 7 in no household
    assert (c["created"], c["invalid"], c["members_created"], c["members_invalid"], c["rows_unassigned"],
            c["rows_read"], c["rows_with_errors"]) == (1, 2, 2, 7, 3, 12, 5)
    _no_row_dropped(job)
    report = requests.get(job["report_url"], timeout=HANG_GUARD_SECONDS).json()
    assert sorted((h["rows"], h["outcome"]) for h in report["households"]) == [
        ([3, 4, 5, 11], "invalid"), ([8, 9, 10], "invalid"), ([12, 13], "created")]
    [stored] = _stored(client, job)
    assert [m["name"] for m in stored["members"]] == ["吴刚", "郑梅"]
    # nobody of a refused household or an unassigned row was filed
    for k in ids:
        r = client.as_user("am.nongan").post("/households/search", json={"resident_id": ids[k]})
        assert r.status_code == 404, (k, r.text)


def test_id_numbers_typed_as_numbers_are_refused_in_xlsx_and_csv(client):
    hhs = synth_households(3, seed=101004)
    tab = table(hhs)
    heads = [i for i, r in enumerate(tab[1:], start=2) if r[1] == "户主"]
    # what Excel stores for an ID typed into a General cell: 15 significant digits, then zeros
    numeric = {(heads[0], RID): int(tab[heads[0] - 1][RID][:15] + "000"),
               (heads[2], PHONE): int(tab[heads[2] - 1][PHONE])}  # an exact phone number is fine
    job = run_import(client, xlsx_bytes(tab, numeric=numeric), filename="n.xlsx", content_type=XLSX)
    assert [(e["row"], e["code"]) for e in job["errors"]] == [(heads[0], "ID_STORED_AS_NUMBER")]
    assert "文本" in job["errors"][0]["message"]
    assert (job["counts"]["created"], job["counts"]["invalid"]) == (2, 1)
    assert [_people_of(h) for h in _stored(client, job)] == _expected(hhs[1:])

    # the same column saved as CSV: "2.20183E+17", and 18-digit numbers ending in 000 (one passes the check)
    real, mangled = "220183197012116983", "220183197012116000"
    other = new_id(date(1975, 8, 20))
    text = ("户编号,与户主关系,姓名,身份证号\n"
            f"1,户主,张一,{mangled}\n"
            f"2,户主,张二,{other[:15]}000\n"
            f"3,户主,张三,2.20122E+17\n")
    job = run_import(client, text.encode("utf-8-sig"), filename="n.csv")
    assert [(e["row"], e["code"]) for e in job["errors"]] == [(r, "ID_STORED_AS_NUMBER") for r in (2, 3, 4)]
    assert job["counts"]["created"] == 0 and job["counts"]["invalid"] == 3
    for number in (real, mangled):
        r = client.as_user("am.nongan").post("/households/search", json={"resident_id": number})
        assert r.status_code == 404, r.text


def test_invisible_characters_and_inexact_money_are_refused_per_row(client):
    rows = [("王\x00春", "1000"), ("李芳\u202e", "1000"), ("赵\u200b强", "1000"), ("钱多", "0.001"),
            ("孙林", "1e5"), ("周红", "-5"), ("吴刚", "12,000.50")]
    ids = [new_id(date(1960 + i, 4, 4)) for i in range(len(rows))]
    text = "户编号,与户主关系,姓名,身份证号,存款(元)\n" + "".join(
        f'{i},户主,{name},{ids[i]},"{money}"\n' for i, (name, money) in enumerate(rows))
    job = run_import(client, text.encode("utf-8-sig"), filename="hygiene.csv")
    assert [(e["row"], e["field"], e["code"]) for e in job["errors"]] == [
        (2, "姓名", "TEXT_INVISIBLE_CHARACTER"), (3, "姓名", "TEXT_INVISIBLE_CHARACTER"),
        (4, "姓名", "TEXT_INVISIBLE_CHARACTER"), (5, "存款(元)", "AMOUNT_PRECISION"),
        (6, "存款(元)", "AMOUNT_FORMAT"), (7, "存款(元)", "AMOUNT_NEGATIVE")]
    assert all(("U+0000" in e["message"]) == (e["row"] == 2) for e in job["errors"])
    assert (job["counts"]["created"], job["counts"]["invalid"]) == (1, 6)
    [stored] = _stored(client, job)
    assert stored["members"][0]["name"] == "吴刚" and stored["assets"]["deposits"] == "12000.50"


@pytest.mark.parametrize("name,code_point", [("王\x00春", "U+0000"), ("王春\u202e", "U+202E"),
                                             ("王\u200d春", "U+200D"), ("王\u2066春\u2069", "U+2066")])
def test_the_api_refuses_the_same_names_as_the_roster(client, name, code_point):
    api = client.as_user("am.nongan")
    body = household()
    body["members"][0]["name"] = name
    r = api.post("/households", json=body)
    assert r.status_code == 422, r.text
    [f] = r.json()["error"]["fields"]
    assert (f["field"], f["code"]) == ("members[0].name", "TEXT_INVISIBLE_CHARACTER") and code_point in f["message"]
    # and on a change of an existing household
    made = api.post("/households", json=household()).json()
    body = household()
    body["members"][1]["name"] = name
    r = api.put(f"/households/{made['household_id']}", json={**body, "version": made["version"]})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["code"] == "TEXT_INVISIBLE_CHARACTER"
    assert api.get(f"/households/{made['household_id']}").json()["version"] == made["version"]


def test_the_api_stores_names_normalised(client):
    body = household()
    body["members"][0]["name"] = "\u3000王\u3000\u3000春 "
    body["members"][1]["name"] = "Zoe\u0301"  # e + combining acute accent → é (NFC)
    r = client.as_user("am.nongan").post("/households", json=body)
    assert r.status_code == 201, r.text
    assert [m["name"] for m in r.json()["members"]] == ["王 春", "Zo\u00e9"]
