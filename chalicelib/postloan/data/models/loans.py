"""The post-loan items of a loan: its state, its classification changes and its penalty accruals."""
from __future__ import annotations

from typing import ClassVar

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.platform.dynamo.models import IntegerAttribute, MoneyAttribute
from chalicelib.postloan.data.models.base import PostLoanItem, VersionedItem
from chalicelib.postloan.domain.classification import Category
from chalicelib.postloan.domain.postloan import at_risk


class LoanState(VersionedItem):
    """The post-loan state of a loan that has been overdue or not *pass*: ``PLOAN#<loan_id>`` / ``STATE`` (healthy
    loans have none: no item means pass, 0 days past due). GSI1 ``PLRISK#<institution_id>`` /
    ``<rank><category>#<org_path>#<village_code>#<loan_id>`` while active and overdue or not pass (the overdue and
    classification lists; the org subtree is a key prefix); GSI2 ``PLFLAG#<institution_id>`` / ``<loan_id>`` while
    the last inspection could not confirm the purpose."""

    kind = UnicodeAttribute(default="loan_postloan_state")
    loan_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    institution_id = UnicodeAttribute()
    village_code = UnicodeAttribute(null=True)
    account_manager_id = UnicodeAttribute(null=True)
    line_id = UnicodeAttribute(null=True)
    product_code = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # active | closed
    closed_on = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    category_since = UnicodeAttribute(null=True)
    assessed_category = UnicodeAttribute(null=True)
    dpd = IntegerAttribute(null=True)
    classified_on = UnicodeAttribute(null=True)
    oldest_unpaid_due_date = UnicodeAttribute(null=True)
    outstanding_principal = MoneyAttribute(null=True)
    overdue_principal = MoneyAttribute(null=True)
    overdue_interest = MoneyAttribute(null=True)
    rule_version = IntegerAttribute(null=True)
    penalty_accrued_through = UnicodeAttribute(null=True)
    penalty_accrued_total = MoneyAttribute(null=True)
    purpose_confirmed = BooleanAttribute(null=True)
    purpose_checked_on = UnicodeAttribute(null=True)

    @staticmethod
    def key(loan_id: str) -> tuple[str, str]:
        return f"PLOAN#{loan_id}", "STATE"

    @staticmethod
    def risk_partition(institution_id: str) -> str:
        """The GSI1 partition of an institution's at-risk loans."""
        return f"PLRISK#{institution_id}"

    @staticmethod
    def risk_prefix(category: str, org_path: str, village_code: str | None) -> str:
        """The GSI1 sort-key prefix of the at-risk loans of one category in an org subtree (or one village)."""
        return f"{Category(category).rank}{category}#{org_path}" + (f"#{village_code}#" if village_code else "")

    @staticmethod
    def flag_partition(institution_id: str) -> str:
        """The GSI2 partition of an institution's loans whose purpose the last inspection could not confirm."""
        return f"PLFLAG#{institution_id}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.loan_id)
        self.GSI1PK = self.GSI1SK = self.GSI2PK = self.GSI2SK = None
        if self.status == "active" and at_risk(int(self.dpd or 0), self.category or "pass"):
            self.GSI1PK = self.risk_partition(self.institution_id)
            self.GSI1SK = self.risk_prefix(self.category, self.org_path, self.village_code or "-") + self.loan_id
        if self.status == "active" and self.purpose_confirmed is False:
            self.GSI2PK, self.GSI2SK = self.flag_partition(self.institution_id), self.loan_id


class ClassificationChange(PostLoanItem):
    """One change of a loan's category: ``PLOAN#<loan_id>`` / ``CLS#<business_date>#<seq>`` (``seq``: the state's
    version the change produced), written with the state and its audit record."""

    RENAMED: ClassVar[dict[str, str]] = {"from_": "from"}
    kind = UnicodeAttribute(default="loan_classification")
    loan_id = UnicodeAttribute()
    business_date = UnicodeAttribute()
    seq = IntegerAttribute()
    from_ = UnicodeAttribute(attr_name="from")
    to = UnicodeAttribute()
    dpd = IntegerAttribute()
    rule_version = IntegerAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    household_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    at = UnicodeAttribute()

    @staticmethod
    def prefix(loan_id: str) -> tuple[str, str]:
        """The partition and sort-key prefix of a loan's classification changes."""
        return f"PLOAN#{loan_id}", "CLS#"

    def fill_keys(self) -> None:
        self.PK = f"PLOAN#{self.loan_id}"
        self.SK = f"CLS#{self.business_date}#{self.seq:04d}"


class PenaltyAccrual(PostLoanItem):
    """One day's penalty accrual of a loan (once per date): ``PLOAN#<loan_id>`` / ``PEN#<business_date>``;
    ``days`` since the last accrual, ``amount`` and ``cumulative`` (CNY) and the basis it was computed on."""

    kind = UnicodeAttribute(default="penalty_accrual")
    loan_id = UnicodeAttribute()
    business_date = UnicodeAttribute()
    days = IntegerAttribute()
    amount = MoneyAttribute()
    cumulative = MoneyAttribute(null=True)
    overdue_principal = MoneyAttribute(null=True)
    annual_rate = MoneyAttribute(null=True)
    uplift = MoneyAttribute(null=True)
    grace_days = IntegerAttribute(null=True)
    day_count = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    household_id = UnicodeAttribute()

    @staticmethod
    def prefix(loan_id: str) -> tuple[str, str]:
        """The partition and sort-key prefix of a loan's penalty accruals."""
        return f"PLOAN#{loan_id}", "PEN#"

    def fill_keys(self) -> None:
        self.PK, self.SK = f"PLOAN#{self.loan_id}", f"PEN#{self.business_date}"
