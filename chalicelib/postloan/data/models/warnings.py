"""Warning signals and their one-active-signal guards."""
from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.dynamo.models import DocumentAttribute, DocumentListAttribute, IntegerAttribute
from chalicelib.postloan.data.models.base import PostLoanItem, VersionedItem
from chalicelib.postloan.domain.postloan import level_rank

WARNING_ACTIVE = ("open", "acknowledged")


class WarningSignal(VersionedItem):
    """A risk-warning signal: ``WARNSIG#<signal_id>`` / ``SIGNAL``. GSI1 ``HH#<household_id>#WARNING`` (loan and
    household subjects), ``VILLAGE#<code>#WARNING`` or ``AM#<user_id>#WARNING`` / ``<raised_on>#<signal_id>``: the
    history of a household, village or account manager. While active (open or acknowledged): GSI2
    ``AMQ#<assignee_id>#WARN`` / ``<level rank>#<raised_on>#<id>`` (the account manager's queue) and GSI3
    ``WARNACT#<institution_id>`` / ``<org_path>#<village_code>#<id>`` (active warnings of an org subtree or
    village)."""

    kind = UnicodeAttribute(default="warning_signal")
    signal_id = UnicodeAttribute()
    rule_id = UnicodeAttribute()
    rule_set = UnicodeAttribute()
    rule_version = IntegerAttribute(null=True)
    level = UnicodeAttribute()
    reason = UnicodeAttribute()
    subject_type = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    loan_id = UnicodeAttribute(null=True)
    household_id = UnicodeAttribute(null=True)
    village_code = UnicodeAttribute(null=True)
    assignee_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    institution_id = UnicodeAttribute()
    status = UnicodeAttribute()
    raised_on = UnicodeAttribute()
    raised_at = UnicodeAttribute()
    evidence = DocumentAttribute(null=True)
    levels = DocumentListAttribute(null=True)
    last_fired_on = UnicodeAttribute(null=True)
    cleared_on = UnicodeAttribute(null=True)
    acknowledged_by = UnicodeAttribute(null=True)
    acknowledged_at = UnicodeAttribute(null=True)
    acknowledge_note = UnicodeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)
    dismiss_reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(signal_id: str) -> tuple[str, str]:
        return f"WARNSIG#{signal_id}", "SIGNAL"

    @staticmethod
    def history_partition(subject_type: str, subject_id: str) -> str:
        """The GSI1 partition of the signals of a household (``loan`` and ``household`` subjects: ``subject_id`` is
        the household id), a village or an account manager."""
        if subject_type in ("loan", "household"):
            return f"HH#{subject_id}#WARNING"
        if subject_type == "village":
            return f"VILLAGE#{subject_id}#WARNING"
        return f"AM#{subject_id}#WARNING"

    @staticmethod
    def queue_partition(assignee_id: str) -> str:
        """The GSI2 partition of an account manager's queue of active signals."""
        return f"AMQ#{assignee_id}#WARN"

    @staticmethod
    def queue_prefix(level: str) -> str:
        """The GSI2 sort-key prefix of one level in a queue."""
        return f"{level_rank(level)}#"

    @staticmethod
    def active_partition(institution_id: str) -> str:
        """The GSI3 partition of an institution's active signals."""
        return f"WARNACT#{institution_id}"

    @staticmethod
    def active_prefix(org_path: str, village_code: str | None) -> str:
        """The GSI3 sort-key prefix of an org subtree (its path extends every ancestor's) or one village."""
        return org_path if not village_code else f"{org_path}#{village_code}#"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.signal_id)
        owner = self.household_id if self.subject_type in ("loan", "household") else self.subject_id
        self.GSI1PK = self.history_partition(self.subject_type, str(owner))
        self.GSI1SK = f"{self.raised_on}#{self.signal_id}"
        self.GSI2PK = self.GSI2SK = self.GSI3PK = self.GSI3SK = None
        if self.status in WARNING_ACTIVE:
            if self.assignee_id:
                self.GSI2PK = self.queue_partition(self.assignee_id)
                self.GSI2SK = f"{self.queue_prefix(self.level)}{self.raised_on}#{self.signal_id}"
            self.GSI3PK = self.active_partition(self.institution_id)
            self.GSI3SK = f"{self.org_path}#{self.village_code or '-'}#{self.signal_id}"


class WarningGuard(PostLoanItem):
    """The one-active-signal guard of a rule and subject: ``WARNKEY#<rule_id>#<subject_type>#<subject_id>`` /
    ``KEY``: ``signal_id``, ``state`` (active | closed), ``level`` and ``level_rank``, ``suppress_until`` (no
    re-raise at the same or a lower level before that date), ``closed_on``."""

    RENAMED: ClassVar[dict[str, str]] = {"guard_state": "state"}
    kind = UnicodeAttribute(default="warning_guard")
    signal_id = UnicodeAttribute()
    guard_state = UnicodeAttribute(attr_name="state")
    level = UnicodeAttribute()
    level_rank = IntegerAttribute()
    rule_id = UnicodeAttribute()
    subject_type = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    suppress_until = UnicodeAttribute(null=True)
    closed_on = UnicodeAttribute(null=True)

    @staticmethod
    def key(rule_id: str, subject_type: str, subject_id: str) -> tuple[str, str]:
        return f"WARNKEY#{rule_id}#{subject_type}#{subject_id}", "KEY"

    @classmethod
    def of_signal(cls, signal: dict[str, Any]) -> WarningGuard:
        """The guard of a signal's rule and subject with only its key attributes set (for updates)."""
        return cls(rule_id=signal["rule_id"], subject_type=signal["subject_type"], subject_id=signal["subject_id"])

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.rule_id, self.subject_type, self.subject_id)
