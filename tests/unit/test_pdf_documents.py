"""The PDFs the platform hands out (public notice, loan contract) embed their font, so they read the same
on a machine without Chinese fonts; the notice table fits the page; the contract states the interest,
penalty and accounts as the schedule, servicing and disbursement really apply them.

The PDFs are read back with pypdf (``tests/pdf_support.py``), a parser independent of reportlab."""
from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from chalicelib.loans.domain import contract_pdf, products, schedules
from chalicelib.platform.identity import mask_account_no
from chalicelib.platform.parameters import default_document
from chalicelib.rating.domain import notice_document
from chalicelib.rating.domain.notice_document import NoticeHeader, render_pdf, table_layout
from chalicelib.reference import pdf_fonts
from tests.pdf_support import pdf_fonts as fonts_of
from tests.pdf_support import pdf_text

ROOT = Path(__file__).resolve().parents[2]
HEADER = NoticeHeader(campaign_id="VC-220122102202-2026", village_code="220122102202", village_name="二道沟村委会",
                      township_name="哈拉海镇", county_name="农安县", institution_name="吉林农安农村商业银行",
                      notice_from="2026-11-30", notice_until="2026-12-06", household_count=3, rated_count=3)
#: names with characters outside GB2312 (堃, 犇, 昇, 䶮 from CJK Extension A) and a long compound name
ROWS = [("1", "一组", "0001", "王堃", "220122********4321", "AAA", "300000"),
        ("2", "一组", "0002", "李犇昇", "220122********123X", "AA", "120000"),
        ("3", "十一组", "0003-甲-附-很长的户编号", "欧阳娜仁托娅·阿不都热合曼·䶮", "220122********0000", "A", "5000")]


def _only_embedded_shipped_font(pdf: bytes) -> None:
    fonts = fonts_of(pdf)
    assert fonts, "no font found in the PDF"
    assert all(f.embedded for f in fonts), [f for f in fonts if not f.embedded]
    assert all(f.to_unicode for f in fonts)  # text can be searched and copied
    # a subset (6-letter tag) of the shipped font and nothing else: no font the reader must supply
    assert {re.sub(r"^/[A-Z]{6}\+", "", f.name) for f in fonts} == {"NotoSansSC-Regular"}


def test_the_notice_pdf_embeds_its_font_and_every_character_has_a_glyph():
    pdf = render_pdf(HEADER, ROWS)
    _only_embedded_shipped_font(pdf)
    text = pdf_text(pdf)
    for expected in ("农安县哈拉海镇二道沟村委会 整村授信公示名单", "王堃", "李犇昇", "220122********123X", "十一组"):
        assert expected in text
    from reportlab.pdfbase.pdfmetrics import getFont

    face = getFont(pdf_fonts.register()).face
    drawn = {ch for row in ROWS for cell in row for ch in cell} | set(notice_document.title(HEADER))
    assert not [ch for ch in drawn if not ch.isspace() and ord(ch) not in face.charToGlyph]  # no blank box


def test_the_notice_table_fills_the_page_width_and_no_cell_runs_into_the_next():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    font = pdf_fonts.register()
    widths, cells = table_layout(ROWS, font)
    assert sum(widths) == pytest.approx(notice_document.FRAME_WIDTH)
    assert pytest.approx(210 / 25.4 * 72) == notice_document.FRAME_WIDTH + 2 * notice_document.MARGIN  # A4
    for row in cells:
        for width, cell in zip(widths, row, strict=True):
            for part in cell.split("\n"):
                assert stringWidth(part, font, notice_document.TABLE_FONT_SIZE) <= width - 2 * notice_document.CELL_PADDING
    # wrapped, never cut: the long cells take more lines and keep every character
    long_row = cells[3]
    assert [c.replace("\n", "") for c in long_row] == list(ROWS[2])
    assert "\n" in long_row[2] and "\n" in long_row[3]
    # a masked ID and an amount stay on one line
    assert all("\n" not in row[4] and "\n" not in row[6] for row in cells[1:])


def test_the_contract_pdf_embeds_its_font_and_shows_the_masked_id_and_accounts():
    doc = default_document("contract_template")
    fields = {"borrower_name": "张建国", "borrower_id_masked": "220122********2012", "lender_name": "吉林农安农村商业银行",
              "household_id": "HH0001", "amount": "20,000.00", "rate_pct": "4.50", "pricing_note": "固定利率",
              "interest_terms": contract_pdf.interest_terms("equal_installment", 1, "ACT/360"),
              "penalty_terms": contract_pdf.penalty_terms("50", 3, "ACT/360"),
              "disbursement_account": contract_pdf.account_terms(
                  {"name": "农安县丰收农机有限公司", "account_no": "6217001234567890123", "bank_name": "吉林农安农村商业银行"}),
              "repayment_account": contract_pdf.account_terms({"type": "borrower_account", "household_id": "HH0001"})}
    pdf = contract_pdf.render(doc, fields, [("1", "2026-12-30", "1,657.34", "75.00", "1,732.34")])
    _only_embedded_shipped_font(pdf)
    text = pdf_text(pdf).replace("\n", "")  # long clauses are wrapped by character
    assert "借款人（乙方）：张建国（身份证号 220122********2012，户号 HH0001）" in text
    assert "放款账户：农安县丰收农机有限公司在吉林农安农村商业银行开立的账户（账号 621700*********0123）" in text
    assert "还款账户：借款人在甲方开立的结算账户（账号以核心系统结算账户为准）" in text
    assert "6217001234567890123" not in text
    assert "月利率=年利率÷12" in text and "按日计息，日利率=年利率÷360。" not in text
    for placeholder in ("borrower_id_masked", "interest_terms", "penalty_terms", "disbursement_account",
                        "repayment_account"):
        assert "{" + placeholder + "}" not in text


def test_the_contract_states_interest_as_the_schedule_charges_it():
    """The issue's case: 4,500 CNY at 5 % over a 31-day month. The schedule charges 4500 × 0.05 / 12 =
    18.75 (not 4500 × 0.05 × 31 / 360 = 19.38): the contract must say 年利率÷12 for regular periods, and
    actual days at 年利率÷360 for a broken first period, where the schedule does charge by days."""
    regular = schedules.build_schedule(principal=D("4500.00"), annual_rate=D("0.05"), method="equal_installment",
                                       term_months=12, start_date=date(2026, 12, 1))
    assert regular.installments[0].period_start == date(2026, 12, 1)
    assert regular.installments[0].due_date == date(2027, 1, 1)  # 31 days
    assert regular.installments[0].interest == D("18.75")
    broken = schedules.build_schedule(principal=D("4500.00"), annual_rate=D("0.05"), method="equal_installment",
                                      term_months=12, start_date=date(2026, 12, 1), first_due_date=date(2027, 1, 21))
    assert broken.installments[0].interest == D("31.88")  # 4500 × 0.05 × 51 / 360 = 31.875 (1 Dec → 21 Jan)
    assert broken.installments[1].interest == (broken.installments[0].closing_balance * D("0.05") / 12).quantize(
        D("0.01"), rounding="ROUND_HALF_UP")
    words = contract_pdf.interest_terms("equal_installment", 1, "ACT/360")
    assert "每个完整还款期的利息=期初本金余额×月利率，月利率=年利率÷12" in words and "与当期实际天数无关" in words
    assert "首期利息按实际天数计算，日利率=年利率÷360" in words
    assert "季利率=年利率÷4" in contract_pdf.interest_terms("interest_periodic", 3, "ACT/360")
    bullet = schedules.build_schedule(principal=D("4500.00"), annual_rate=D("0.05"), method="bullet", term_months=3,
                                      start_date=date(2026, 12, 1))
    assert bullet.installments[0].interest == D("56.25")  # 4500 × 0.05 × 90 / 360 (1 Dec → 1 Mar)
    assert contract_pdf.interest_terms("bullet", 3, "ACT/360") == \
        "按实际天数计息，到期利随本清：利息=借款本金×实际天数×日利率，日利率=年利率÷360"
    assert "日利率=年利率÷365" in contract_pdf.interest_terms("equal_principal", 1, "ACT/365")


def test_the_shipped_products_get_interest_words_from_their_schedule_terms():
    doc = default_document("products")
    for code in ("NH_XYD", "NH_DBD"):
        product = products.get_product(doc, code)
        for method in product.repayment_methods:
            for period in product.interest_periods or ["monthly"]:
                t = products.schedule_terms(product, method, period)
                words = contract_pdf.interest_terms(t.method, t.frequency_months, t.day_count)
                assert ("日利率=年利率÷360" in words) and ("÷12" in words or "÷4" in words or t.method == "bullet")


def test_the_penalty_words_follow_the_servicing_rule():
    from chalicelib.loans.domain.repayment import penalty_interest

    # 10,000 overdue 10 days at 4.5 % + 50 %: 10000 × 0.045 × 1.5 × 10 / 360 = 18.75
    assert penalty_interest(D("10000.00"), D("0.045"), D("0.5"), days=10) == D("18.75")
    words = contract_pdf.penalty_terms("50", 3, "ACT/360")
    assert "罚息年利率=合同年利率×(1+50%)" in words and "罚息日利率=罚息年利率÷360" in words
    assert "逾期未超过宽限期3日的不计罚息，超过的自到期日起计收" in words and "不计收复利" in words
    assert "宽限期" not in contract_pdf.penalty_terms("50", 0, "ACT/360")


def test_the_disbursement_target_is_the_one_the_contract_names():
    payee = {"name": "农安县丰收农机有限公司", "account_no": "6228480012345678", "bank_name": "吉林农安农村商业银行"}
    entrusted = products.disbursement_target("entrusted", payee, "HH1")
    assert entrusted == payee
    assert contract_pdf.account_terms(entrusted) == \
        "农安县丰收农机有限公司在吉林农安农村商业银行开立的账户（账号 ************5678）"
    own = products.disbursement_target("self", None, "HH1")
    assert own == {"type": "borrower_account", "household_id": "HH1"}
    assert contract_pdf.account_terms(own) == contract_pdf.SETTLEMENT_ACCOUNT


@pytest.mark.parametrize("number, masked", [
    ("6217001234567890123", "621700*********0123"),  # 19-digit card: BIN and last 4 (PCI DSS 3.4.1)
    ("6228 4800 1234 5678", "************5678"),     # 16 digits or fewer: last 4 only
    ("0712-3456-78", "******5678"),
    ("1234", "****"), ("", ""),
])
def test_account_numbers_are_masked(number, masked):
    assert mask_account_no(number) == masked


def test_the_shipped_font_is_the_one_recorded_with_its_licence():
    sources = (ROOT / "chalicelib" / "reference" / "SOURCES.md").read_text(encoding="utf-8")
    font = ROOT / "chalicelib" / "reference" / pdf_fonts.FONT_FILE
    digest = hashlib.sha256(font.read_bytes()).hexdigest()
    assert digest in sources, "the font file differs from the one SOURCES.md records"
    licence = (font.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License, Version 1.1" in licence and "OFL.txt" in sources
