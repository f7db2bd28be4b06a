"""The item models of loan accounts: the loan, its installments and repayments, and its repayment turn (conventions
in :mod:`chalicelib.loans.data.models`)."""
from __future__ import annotations

import hashlib

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.loans.data.models import LoansModel
from chalicelib.platform.dynamo.models import (
    DocumentAttribute,
    DocumentListAttribute,
    IntegerAttribute,
    MoneyAttribute,
)

#: the shards of the active-loan queue (GSI3 ``LOANS#ACTIVE#<shard>``)
SHARDS = 16


class Loan(LoansModel):
    """A loan account (贷款账户): ``LOAN#<loan_id>`` / ``LOAN``. GSI1 ``HH#<household_id>#LOAN`` /
    ``A#<next_due_date>#<loan_id>`` while active, ``C#<closed_on>#<loan_id>`` once closed; while active GSI3
    ``LOANS#ACTIVE#<shard 00-15>`` / ``<next_due_date>#<loan_id>`` (the post-loan jobs' work queue, :meth:`shard`)
    and GSI2 ``VILLAGE#<village_code>#LOAN`` / ``<household_id>#<loan_id>`` (a village's loan book). Fields in
    :mod:`chalicelib.loans.data.loans`."""

    kind = UnicodeAttribute(default="loan")
    loan_id = UnicodeAttribute()
    drawdown_id = UnicodeAttribute(null=True)
    household_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    line_id = UnicodeAttribute(null=True)
    product_code = UnicodeAttribute(null=True)
    product_kind = UnicodeAttribute(null=True)
    revolving = BooleanAttribute(null=True)
    principal = MoneyAttribute(null=True)
    outstanding_principal = MoneyAttribute(null=True)
    annual_rate = MoneyAttribute(null=True)
    pricing = DocumentAttribute(null=True)
    penalty_uplift = MoneyAttribute(null=True)
    grace_days = IntegerAttribute(null=True)
    day_count = UnicodeAttribute(null=True)
    method = UnicodeAttribute(null=True)
    repayment_method = UnicodeAttribute(null=True)
    frequency_months = IntegerAttribute(null=True)
    allocation_order = DocumentListAttribute(null=True)
    prepayment_mode = UnicodeAttribute(null=True)
    start_date = UnicodeAttribute()
    maturity_date = UnicodeAttribute(null=True)
    next_due_date = UnicodeAttribute(null=True)
    next_due_amount = MoneyAttribute(null=True)
    status = UnicodeAttribute()
    closed_on = UnicodeAttribute(null=True)
    schedule_version = IntegerAttribute(null=True)
    core_ref = UnicodeAttribute(null=True)
    payee = DocumentAttribute(null=True)
    parameter_versions = DocumentAttribute(null=True)
    contract_no = UnicodeAttribute(null=True)
    village_code = UnicodeAttribute(null=True)
    account_manager_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def key(loan_id: str) -> tuple[str, str]:
        return f"LOAN#{loan_id}", "LOAN"

    @staticmethod
    def shard(loan_id: str) -> str:
        """The shard (``00``..``15``) of a loan in the active-loan queue: the first 16 bits of the SHA-256 of its
        id, modulo :data:`SHARDS` (spreads the queue's writes and the jobs' reads over the partitions)."""
        return f"{int(hashlib.sha256(loan_id.encode()).hexdigest()[:4], 16) % SHARDS:02d}"

    @staticmethod
    def shards() -> list[str]:
        """Every shard of the active-loan queue, in order."""
        return [f"{i:02d}" for i in range(SHARDS)]

    @staticmethod
    def active_partition(shard: str) -> str:
        """The GSI3 partition of one shard of the active-loan queue (sort key ``<next_due_date>#<loan_id>``)."""
        return f"LOANS#ACTIVE#{shard}"

    @staticmethod
    def household_partition(household_id: str) -> str:
        """The GSI1 partition of a household's loans (sort key ``A#<next_due_date>#..`` active, ``C#..`` closed)."""
        return f"HH#{household_id}#LOAN"

    @staticmethod
    def village_partition(village_code: str) -> str:
        """The GSI2 partition of a village's active loans (sort key ``<household_id>#<loan_id>``)."""
        return f"VILLAGE#{village_code}#LOAN"

    @staticmethod
    def active_before(day: str) -> tuple[str, str]:
        """The GSI1 sort-key range of a household's active loans first due before ``day`` (ISO date)."""
        return "A#", f"A#{day}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.loan_id)
        active = self.status == "active" and bool(self.next_due_date)
        self.GSI1PK = self.household_partition(self.household_id)
        self.GSI1SK = (f"A#{self.next_due_date}#{self.loan_id}" if active
                       else f"C#{self.closed_on or self.start_date}#{self.loan_id}")
        self.GSI2PK = self.GSI2SK = self.GSI3PK = self.GSI3SK = None
        if active:
            self.GSI3PK = self.active_partition(self.shard(self.loan_id))
            self.GSI3SK = f"{self.next_due_date}#{self.loan_id}"
            if self.village_code:
                self.GSI2PK = self.village_partition(self.village_code)
                self.GSI2SK = f"{self.household_id}#{self.loan_id}"


class Installment(LoansModel):
    """One installment of a loan's schedule: ``LOAN#<loan_id>`` / ``INST#<nnn>`` (see
    :mod:`chalicelib.loans.domain.servicing`)."""

    kind = UnicodeAttribute(default="installment")
    loan_id = UnicodeAttribute()
    household_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute(null=True)
    number = IntegerAttribute()
    due_date = UnicodeAttribute()
    period_start = UnicodeAttribute(null=True)
    principal = MoneyAttribute()
    interest = MoneyAttribute()
    payment = MoneyAttribute(null=True)
    closing_balance = MoneyAttribute(null=True)
    paid_principal = MoneyAttribute(null=True)
    paid_interest = MoneyAttribute(null=True)
    paid_penalty = MoneyAttribute(null=True)
    penalty_accrued = MoneyAttribute(null=True)
    penalty_accrued_to = UnicodeAttribute(null=True)
    paid_on = UnicodeAttribute(null=True)
    settled_early = BooleanAttribute(null=True)
    status = UnicodeAttribute(null=True)
    schedule_version = IntegerAttribute(null=True)

    @staticmethod
    def key(loan_id: str, number: int) -> tuple[str, str]:
        return f"LOAN#{loan_id}", f"INST#{int(number):03d}"

    @staticmethod
    def prefix(loan_id: str) -> tuple[str, str]:
        """The partition and sort-key prefix of a loan's installments."""
        return f"LOAN#{loan_id}", "INST#"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.loan_id, int(self.number))


class Repayment(LoansModel):
    """One repayment of a loan with its allocation: ``LOAN#<loan_id>`` / ``RPY#<at>#<repayment_id>``. ``kind`` is
    the repayment's kind (``scheduled``, ``prepay_partial``, ``prepay_full``)."""

    kind = UnicodeAttribute(null=True)
    loan_id = UnicodeAttribute()
    household_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute(null=True)
    repayment_id = UnicodeAttribute()
    at = UnicodeAttribute()
    value_date = UnicodeAttribute(null=True)
    amount = MoneyAttribute()
    applied = DocumentAttribute(null=True)
    actor_id = UnicodeAttribute(null=True)
    schedule_version = IntegerAttribute(null=True)
    outstanding_after = MoneyAttribute(null=True)

    @staticmethod
    def prefix(loan_id: str) -> tuple[str, str]:
        """The partition and sort-key prefix of a loan's repayments."""
        return f"LOAN#{loan_id}", "RPY#"

    def fill_keys(self) -> None:
        self.PK, prefix = self.prefix(self.loan_id)
        self.SK = f"{prefix}{self.at}#{self.repayment_id}"


class LoanTurn(LoansModel):
    """The repayment turn of a loan, a short lease lining concurrent repayments up: ``LOAN#<loan_id>`` / ``TURN``
    (``owner``, ``lease_until`` epoch seconds); present only while a repayment runs."""

    kind = UnicodeAttribute(default="loan_turn")
    loan_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    lease_until = MoneyAttribute()

    @staticmethod
    def key(loan_id: str) -> tuple[str, str]:
        return f"LOAN#{loan_id}", "TURN"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.loan_id)
