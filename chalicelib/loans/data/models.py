"""The item models of the loans context: drawdowns and their history, face checks, approval tasks and reconciliation
proposals here; loan accounts with their installments and repayments, and the repayment turn, in
:mod:`chalicelib.loans.data.loan_models`.

Each model owns its keys (``key(...)``, and :meth:`fill_keys` from its own attributes before every write) and its
index entries; no other module builds them. Money, rates and measures are :class:`MoneyAttribute` (Decimal), nested
maps :class:`DocumentAttribute`. Aggregates with a ``version`` (drawdown, loan task, reconciliation proposal, loan)
lock optimistically through pynamodb's ``VersionAttribute``: a put of a new item is conditioned on no version being
stored, a put of a read item on the version it was read with, and the version goes up by one.

The repositories hand services plain dicts (:meth:`LoansModel.state`) and build models from them
(:meth:`LoansModel.of`): an attribute a model does not declare is refused (``ValueError``), so no field is dropped
silently. Imported inside the data functions, so that pynamodb stays off the cold start until an item is touched.
"""
from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.platform.dynamo.models import (
    CoreModel,
    DocumentAttribute,
    IntegerAttribute,
    MoneyAttribute,
)

L = TypeVar("L", bound="LoansModel")

#: the shards of the active-loan work queue (GSI3 ``LOANS#ACTIVE#<shard>``)
SHARDS = 16


class LoansModel(CoreModel):
    """Base of the loans context's models: dict in (:meth:`of`), dict out (:meth:`state`)."""

    @classmethod
    def of(cls: type[L], data: dict[str, Any]) -> L:
        """The model of ``data`` (a service's dict); key attributes in it are ignored (the model builds its own),
        ``None`` values left out; an attribute the model does not declare raises ``ValueError``."""
        values = {k: v for k, v in data.items() if k not in cls.KEY_ATTRIBUTES and v is not None}
        return cls(**values)


# ------------------------------------------------------------------------------------------------ drawdowns
class Drawdown(LoansModel):
    """A drawdown application (用信申请): ``DD#<drawdown_id>`` / ``DD``; GSI1 ``HH#<household_id>#DD`` /
    ``<created_at>`` (a household's applications). Statuses in :mod:`chalicelib.loans.data.drawdowns`."""

    kind = UnicodeAttribute(default="drawdown")
    drawdown_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    line_id = UnicodeAttribute()
    product_code = UnicodeAttribute()
    product_kind = UnicodeAttribute(null=True)
    amount = MoneyAttribute()
    term_months = IntegerAttribute(null=True)
    repayment_method = UnicodeAttribute(null=True)
    interest_period = UnicodeAttribute(null=True)
    first_due_date = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)
    payment_mode = UnicodeAttribute(null=True)
    payee = DocumentAttribute(null=True)
    guarantee = DocumentAttribute(null=True)
    collateral = DocumentAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    applicant_user_id = UnicodeAttribute(null=True)
    applicant_role = UnicodeAttribute(null=True)
    village_code = UnicodeAttribute(null=True)
    account_manager_id = UnicodeAttribute(null=True)
    face_verification_id = UnicodeAttribute(null=True)
    disburse_immediately = BooleanAttribute(null=True)
    requested_on = UnicodeAttribute(null=True)
    pricing = DocumentAttribute(null=True)
    preview = DocumentAttribute(null=True)
    parameter_versions = DocumentAttribute(null=True)
    status = UnicodeAttribute()
    decision = DocumentAttribute(null=True)
    investigated_by = UnicodeAttribute(null=True)
    investigation_comment = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    review_comment = UnicodeAttribute(null=True)
    approved_by = UnicodeAttribute(null=True)
    approval_comment = UnicodeAttribute(null=True)
    contract = DocumentAttribute(null=True)
    reservation = DocumentAttribute(null=True)
    disbursement_started_at = UnicodeAttribute(null=True)
    loan_id = UnicodeAttribute(null=True)
    disbursed_on = UnicodeAttribute(null=True)
    disbursed_at = UnicodeAttribute(null=True)
    core_ref = UnicodeAttribute(null=True)
    failure = DocumentAttribute(null=True)
    reconciliation = DocumentAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def key(drawdown_id: str) -> tuple[str, str]:
        return f"DD#{drawdown_id}", "DD"

    @staticmethod
    def household_partition(household_id: str) -> str:
        """The GSI1 partition of a household's applications."""
        return f"HH#{household_id}#DD"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.drawdown_id)
        self.GSI1PK = self.household_partition(self.household_id)
        self.GSI1SK = self.created_at


class DrawdownEvent(LoansModel):
    """One status change of a drawdown (what the applicant sees): ``DD#<drawdown_id>`` / ``EVT#<at>#<event_no>``."""

    kind = UnicodeAttribute(default="drawdown_event")
    drawdown_id = UnicodeAttribute()
    event_no = UnicodeAttribute()
    status = UnicodeAttribute()
    at = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    household_id = UnicodeAttribute()

    @staticmethod
    def prefix(drawdown_id: str) -> tuple[str, str]:
        """The partition and sort-key prefix of a drawdown's events."""
        return f"DD#{drawdown_id}", "EVT#"

    def fill_keys(self) -> None:
        self.PK, prefix = self.prefix(self.drawdown_id)
        self.SK = f"{prefix}{self.at}#{self.event_no}"


class ReconciliationProposal(LoansModel):
    """A reconciliation proposal of a drawdown (对账复核): ``DD#<drawdown_id>`` / ``RECON#<proposal_id>``; fields in
    :mod:`chalicelib.loans.data.reconciliations`."""

    kind = UnicodeAttribute(default="reconciliation_proposal")
    proposal_id = UnicodeAttribute()
    drawdown_id = UnicodeAttribute()
    household_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    posted = BooleanAttribute(null=True)
    core_ref = UnicodeAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    evidence = DocumentAttribute(null=True)
    core = DocumentAttribute(null=True)
    proposed_by = UnicodeAttribute()
    proposed_at = UnicodeAttribute()
    status = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_comment = UnicodeAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def key(drawdown_id: str, proposal_id: str) -> tuple[str, str]:
        return f"DD#{drawdown_id}", f"RECON#{proposal_id}"

    @staticmethod
    def prefix(drawdown_id: str) -> tuple[str, str]:
        """The partition and sort-key prefix of a drawdown's proposals."""
        return f"DD#{drawdown_id}", "RECON#"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.drawdown_id, self.proposal_id)


class FaceCheck(LoansModel):
    """A face verification (人脸核验) of a self-service drawdown: ``FACE#<face_verification_id>`` / ``FACE``; one
    passed check is consumed by one drawdown (``used_by``)."""

    kind = UnicodeAttribute(default="face_verification")
    face_verification_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    passed = BooleanAttribute()
    score = UnicodeAttribute(null=True)
    provider_ref = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    used_by = UnicodeAttribute(null=True)

    @staticmethod
    def key(face_verification_id: str) -> tuple[str, str]:
        return f"FACE#{face_verification_id}", "FACE"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.face_verification_id)


class LoanTask(LoansModel):
    """A human task of the approval workflow: ``TASK#<task_id>`` / ``TASK``; while open with a token, GSI2
    ``TASKQ#<stage>`` / ``<scope_path><opened_at>#<task_id>`` (the inbox) and, once escalated, GSI3
    ``TASKESC#<stage>#<scope_path>`` / ``<opened_at>#<task_id>``. Fields in :mod:`chalicelib.loans.data.loan_tasks`."""

    kind = UnicodeAttribute(default="loan_task")
    task_id = UnicodeAttribute()
    drawdown_id = UnicodeAttribute()
    stage = UnicodeAttribute()
    status = UnicodeAttribute()
    token = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    scope_path = UnicodeAttribute()
    amount = MoneyAttribute(null=True)
    product_code = UnicodeAttribute(null=True)
    borrower_household_id = UnicodeAttribute(null=True)
    escalations = IntegerAttribute(default=0)
    escalated_at = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute(null=True)
    deadline = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_role = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def key(task_id: str) -> tuple[str, str]:
        return f"TASK#{task_id}", "TASK"

    @staticmethod
    def inbox_partition(stage: str) -> str:
        """The GSI2 partition of a stage's open tasks (sort key: scope path, opened at, task id)."""
        return f"TASKQ#{stage}"

    @staticmethod
    def escalated_partition(stage: str, scope_path: str) -> str:
        """The GSI3 partition of a stage's escalated tasks scoped at ``scope_path``."""
        return f"TASKESC#{stage}#{scope_path}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.task_id)
        self.GSI2PK = self.GSI2SK = self.GSI3PK = self.GSI3SK = None
        if self.status == "open" and self.token:
            self.GSI2PK = self.inbox_partition(self.stage)
            self.GSI2SK = f"{self.scope_path}{self.opened_at}#{self.task_id}"
            if self.escalations:
                self.GSI3PK = self.escalated_partition(self.stage, self.scope_path)
                self.GSI3SK = f"{self.opened_at}#{self.task_id}"
