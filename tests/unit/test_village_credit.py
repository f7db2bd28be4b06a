"""Whole-village credit, pure part: one household through metrics → published form → line; ids;
products; notice rows; lifecycle rules; the statistical challenger; the notice documents."""
from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from chalicelib.platform.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.platform.parameters import default_document
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.domain.notice_document import NoticeHeader, render_csv, render_pdf
from chalicelib.rating.domain.rating_input import VillageAverages
from tests.pdf_support import pdf_fonts, pdf_text
from tests.unit.test_household_metrics import TODAY, household

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "household_points_table.json"
AVG = VillageAverages(household_count=40, total_assets=D("200000.00"), net_assets=D("160000.00"),
                      net_income=D("40000.00"), credit_union_shares=D("3000.00"))


@pytest.fixture(scope="module")
def policies():
    return vc.Policies.from_documents(scorecard=default_document("scorecard_expert"),
                                      credit_line=default_document("credit_line_policy"),
                                      products=default_document("products"),
                                      evaluation=default_document("credit_evaluation"))


def test_one_household_through_the_published_form(policies):
    out = vc.rate_household(household(), AVG, policies, today=TODAY)
    points = {i.indicator_id: i.points for i in out.score.indicators}
    # size 5 → 8; labourers 2 full + 2 partial = 3 → 8; total assets 305,000.50 / 200,000 = 1.53 → 13;
    # net assets 245,000.50 / 160,000 = 1.53 → 13; shares 5,000 → 3; net income 62,000 / 40,000 = 1.55 → 14;
    # committee "good" → 25; repayment "good" → 10
    assert points == {"household_size": 8, "labourers": 8, "total_assets": 13, "net_assets": 13,
                      "credit_union_shares": 3, "net_income": 14, "committee_assessment": 25,
                      "repayment_record": 10}
    assert (out.score.total_score, out.score.grade) == (D(94), "AAA")
    assert out.score.reason_codes == ("WEAK_COMMITTEE_ASSESSMENT", "FEW_CREDIT_UNION_SHARES")
    # AAA: capacity 50,000 + 0.3 × 245,000.50 + 62,000 = 185,500.15 < caps → 185,000 (rounded down)
    p = out.proposal
    assert (p.master_limit, p.binding_constraint) == (D("185000.00"), "CAPACITY")
    assert [(s.product_id, s.limit) for s in p.sub_lines] == [("NH_XYD", D("185000.00")), ("NH_DBD", D("185000.00"))]
    assert (p.valid_from, p.valid_until) == (TODAY, date(2029, 11, 30))
    assert out.is_credit_household and out.figures["net_income"] == D("62000.00")


def test_grade_a_gets_only_the_credit_product_and_knockouts_no_line(policies):
    weak = household(committee_assessment="good", repayment_record="none", assets={"house_value": D("160000")},
                     liabilities={}, income={"crops": D("30000")}, expenses={"living": D("10000")})
    out = vc.rate_household(weak, AVG, policies, today=TODAY)
    # 8 + 8 + total assets 0.8x → 8 + net assets 1.0x → 11 + no shares 0 + net income 20,000 / 40,000 = 0.5x → 5
    # + good 25 + no borrowing history 8 = 73 → A
    assert (out.score.total_score, out.score.grade) == (D(73), "A")
    # A: capacity 10,000 + 0.3 × 160,000 + 20,000 = 78,000 < A cap 100,000
    assert (out.proposal.master_limit, out.proposal.binding_constraint) == (D("78000.00"), "CAPACITY")
    assert [s.product_id for s in out.proposal.sub_lines] == ["NH_XYD"]  # NH_DBD needs AA
    black = vc.rate_household(household(blacklisted=True), AVG, policies, today=TODAY)
    assert (black.score.grade, black.score.knocked_out, black.proposal.eligible) == ("NONE", ("BLACKLISTED",), False)
    assert black.proposal.ineligible_reason == "KNOCKED_OUT" and not black.is_credit_household


def test_the_age_plus_term_rule_uses_the_line_validity(policies):
    old = household(members=[{"member_id": "M1", "relation": "head", "birth_date": "1958-11-29",
                              "labour_capacity": "full"}])
    out = vc.rate_household(old, AVG, policies, today=TODAY)  # 68 + 3 years > 70
    assert out.rating_input.requested_term_years == policies.credit_line.line_validity_years == 3
    assert out.score.knocked_out == ("HEAD_AGE_ABOVE_MAX", "AGE_PLUS_TERM_EXCEEDED")


def test_ids_are_deterministic_and_distinct():
    cid = vc.campaign_id("220122102202", "2026")
    assert cid == "VC-220122102202-2026"
    assert vc.rating_id(cid, "HH1") == vc.rating_id(cid, "HH1") != vc.rating_id(cid, "HH2")
    assert vc.rating_id(cid, "HH1").startswith("RT-") and vc.line_id(cid, "HH1").startswith("LN-")
    assert vc.rating_id(vc.campaign_id("220122102202", "2027"), "HH1") != vc.rating_id(cid, "HH1")


def test_products_in_allocation_order_with_sub_line_caps():
    doc = default_document("products")
    assert vc.village_credit_products(doc) == [
        {"product_id": "NH_XYD", "name": "农户小额信用贷款", "cap": D("300000"), "min_grade": "A"},
        {"product_id": "NH_DBD", "name": "农户保证贷款", "cap": D("200000"), "min_grade": "AA"}]
    doc2 = copy.deepcopy(doc)
    doc2["allocation_order"] = ["NH_DBD", "NH_XYD"]
    doc2["products"][1]["eligible_for_village_credit"] = False
    assert [p["product_id"] for p in vc.village_credit_products(doc2)] == ["NH_XYD"]
    doc2["allocation_order"] = ["NOPE"]
    with pytest.raises(ValidationFailed) as e:
        vc.village_credit_products(doc2)
    assert e.value.code == "PRODUCTS_INVALID"


def test_notice_rows_list_only_households_with_a_line_masked():
    entries = [
        {"household_id": "HH2", "village_group": "一组", "household_no": "0002", "head_name": "王五",
         "head_id_masked": "22012219800101123X", "grade": "AA", "proposed_limit": D("120000.00")},
        {"household_id": "HH1", "village_group": "一组", "household_no": "0001", "head_name": "赵六",
         "head_id_masked": "220122********4321", "grade": "A", "proposed_limit": "30000"},
        {"household_id": "HH3", "village_group": "一组", "household_no": "0003", "head_name": "钱七",
         "head_id_masked": "220122********0000", "grade": "NONE", "proposed_limit": D("0")},
    ]
    assert vc.notice_rows(entries) == [("1", "一组", "0001", "赵六", "220122********4321", "A", "30000"),
                                       ("2", "一组", "0002", "王五", "220122********123X", "AA", "120000")]
    assert vc.mask_resident_id("") == "" and vc.mask_resident_id("12345") == "*****"


def test_the_notice_is_ordered_by_village_group_then_roster_number_as_people_count():
    """Groups and numbers are ordered by their value, in digits or Chinese numerals (二组 before 十一组,
    0009 before 0010), not by text or by the internal household id; households filed without a roster
    (no group, no number) come last and show empty cells, never their internal id."""
    groups_and_numbers = [("十一组", "0001"), ("二组", "0010"), ("3组", "0002"), ("二组", "0009"), (None, None),
                          ("第一村民小组", "12"), ("二组", "100"), ("一组", "9")]
    entries = [{"household_id": f"f3e{k}-uuid", "village_group": g, "household_no": n, "head_name": f"户主{k}",
                "head_id_masked": "220122********0000", "grade": "A", "proposed_limit": "10000"}
               for k, (g, n) in enumerate(groups_and_numbers)]
    rows = vc.notice_rows(entries)
    assert [(r[1], r[2]) for r in rows] == [("一组", "9"), ("第一村民小组", "12"), ("二组", "0009"), ("二组", "0010"),
                                            ("二组", "100"), ("3组", "0002"), ("十一组", "0001"), ("", "")]
    assert [r[0] for r in rows] == [str(n) for n in range(1, 9)]
    assert not any("uuid" in cell for r in rows for cell in r)


def test_lifecycle_rules():
    vc.check_adjustable({"status": "auto"}, {"status": "awaiting_confirmation"})
    with pytest.raises(Conflict) as e:
        vc.check_adjustable({"status": "effective"}, None)
    assert e.value.code == "RATING_NOT_ADJUSTABLE"
    with pytest.raises(Conflict) as e:
        vc.check_adjustable({"status": "adjusted"}, {"confirmed_by": "u9"})
    assert e.value.code == "CAMPAIGN_ALREADY_CONFIRMED"
    with pytest.raises(Conflict):
        vc.check_approvable({"status": "approved"})
    vc.check_separation_of_duties("u1", others={"adjuster": "u2", "campaign starter": None})
    with pytest.raises(Forbidden) as e:
        vc.check_separation_of_duties("u1", others={"adjuster": "u2", "campaign starter": "u1"})
    assert (e.value.code, e.value.details) == ("SEPARATION_OF_DUTIES", {"step": "campaign starter"})


def test_challenger_scores_household_features_and_refuses_others(policies):
    artifact = json.loads(FIXTURE.read_text())
    out = vc.rate_household(household(), AVG, policies, today=TODAY, challenger_artifact=artifact)
    # net income 62,000 → 150; debt/assets 0.1967 → 150; repayment good → 160; committee good → 150
    assert D(out.challenger["score"]) == D(610) and out.challenger["fallbacks"] == []
    assert out.score.grade == "AAA"  # the challenger never changes the grade
    german = {**artifact, "features": ["duration_in_month", "net_income"]}
    assert vc.challenger_missing_features(german) == ["duration_in_month"]
    with pytest.raises(ValidationFailed) as e:
        vc.challenger_score(german, household(), today=TODAY)
    assert e.value.code == "CHALLENGER_FEATURES_UNAVAILABLE"


def test_notice_documents():
    header = NoticeHeader(campaign_id="VC-220122102202-2026", village_code="220122102202", village_name="二道沟村委会",
                          township_name="哈拉海镇", county_name="农安县", institution_name="吉林农安农村商业银行",
                          notice_from="2026-11-30", notice_until="2026-12-06", household_count=3, rated_count=3)
    rows = [("1", "一组", "0001", "赵六", "220122********4321", "A", "30000")]
    data = render_csv(header, rows)
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed == [list(vc.NOTICE_COLUMNS), list(rows[0])]
    pdf = render_pdf(header, rows)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert "赵六" in pdf_text(pdf) and all(f.embedded for f in pdf_fonts(pdf))


# ------------------------------------------------------------------------------------------ residents' committees

@pytest.mark.parametrize("code", ["220122102001", "220102001001", "220122101002", "220106400498"])
def test_a_campaign_in_a_residents_committee_is_refused_unless_the_institution_is_listed(code):
    doc = default_document("village_campaign")
    assert doc["residents_committee_institutions"] == []  # shipped: nobody
    with pytest.raises(ValidationFailed) as err:
        vc.check_campaign_unit(code, "JL-220122", doc)
    assert (err.value.code, err.value.fields[0].field) == ("VILLAGE_IS_RESIDENTS_COMMITTEE", "village_code")
    assert err.value.details["unit_type"].startswith("residents_committee")
    with pytest.raises(ValidationFailed):  # another institution's permission does not count
        vc.check_campaign_unit(code, "JL-220122", {**doc, "residents_committee_institutions": ["JL-220182"]})
    allowed = vc.check_campaign_unit(code, "JL-220122", {**doc, "residents_committee_institutions": ["JL-220122"]})
    assert allowed.startswith("residents_committee")


@pytest.mark.parametrize("code, kind", [("220122102202", "villagers_committee"),
                                        ("220502200206", "villagers_committee"),
                                        ("220122400598", "villagers_committee_like")])
def test_villages_may_run_a_campaign(code, kind):
    assert vc.check_campaign_unit(code, "JL-220122", default_document("village_campaign")) == kind
