"""Inspection tasks and the notification outbox."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.dynamo.models import DocumentAttribute
from chalicelib.postloan.data.models.base import PostLoanItem, VersionedItem


class InspectionTask(VersionedItem):
    """An inspection task: ``INSP#<task_id>`` / ``TASK``. GSI1 ``PLOAN#<loan_id>#INSP`` / ``<due_on>#<task_id>`` (a
    loan's inspections); GSI2 ``AMQ#<assignee_id>#INSP`` / ``<A (open) | Z (closed)>#<due_on>#<task_id>`` (an
    account manager's list); GSI3 ``INSPOPEN#<shard>`` / ``<due_on>#<task_id>`` while open (the shard of the loan in
    the loans' index): the planning job's view of open tasks and the overdue ones."""

    kind = UnicodeAttribute(default="inspection_task")
    task_id = UnicodeAttribute()
    loan_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    institution_id = UnicodeAttribute()
    village_code = UnicodeAttribute(null=True)
    assignee_id = UnicodeAttribute(null=True)
    inspection_type = UnicodeAttribute()  # first | periodic
    category = UnicodeAttribute(null=True)
    due_on = UnicodeAttribute()
    status = UnicodeAttribute()  # open | done | cancelled
    created_on = UnicodeAttribute()
    previous_task_id = UnicodeAttribute(null=True)
    visit = DocumentAttribute(null=True)
    completed_by = UnicodeAttribute(null=True)
    completed_on = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(task_id: str) -> tuple[str, str]:
        return f"INSP#{task_id}", "TASK"

    @staticmethod
    def loan_partition(loan_id: str) -> str:
        """The GSI1 partition of a loan's inspections."""
        return f"PLOAN#{loan_id}#INSP"

    @staticmethod
    def assignee_partition(assignee_id: str) -> str:
        """The GSI2 partition of an account manager's inspections."""
        return f"AMQ#{assignee_id}#INSP"

    @staticmethod
    def assignee_group(status: str) -> str:
        """The GSI2 sort-key group of open (``A#``) or closed (``Z#``) tasks."""
        return "A#" if status == "open" else "Z#"

    @staticmethod
    def open_partition(shard: str) -> str:
        """The GSI3 partition of the open tasks of one shard of the loans' index."""
        return f"INSPOPEN#{shard}"

    def fill_keys(self) -> None:
        from chalicelib.postloan.data.postloan import loan_shard

        self.PK, self.SK = self.key(self.task_id)
        self.GSI1PK, self.GSI1SK = self.loan_partition(self.loan_id), f"{self.due_on}#{self.task_id}"
        self.GSI2PK = self.GSI2SK = self.GSI3PK = self.GSI3SK = None
        if self.assignee_id:
            self.GSI2PK = self.assignee_partition(self.assignee_id)
            self.GSI2SK = f"{self.assignee_group(self.status)}{self.due_on}#{self.task_id}"
        if self.status == "open":
            self.GSI3PK, self.GSI3SK = self.open_partition(loan_shard(self.loan_id)), f"{self.due_on}#{self.task_id}"




class Notification(PostLoanItem):
    """A notification of the outbox: ``NOTIF#<notification_id>`` / ``NOTIF``. GSI1 ``HH#<household_id>#NOTIF`` or
    ``USER#<user_id>#NOTIF`` / ``<business_date>#<notification_id>``: what a household or a member of staff was
    sent."""

    kind = UnicodeAttribute(default="notification")
    notification_id = UnicodeAttribute()
    template = UnicodeAttribute()
    channel = UnicodeAttribute()  # sms | push
    recipient_type = UnicodeAttribute()  # household | user
    recipient_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    about = UnicodeAttribute(null=True)
    business_date = UnicodeAttribute()
    text = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | sent | failed
    message_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    household_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(notification_id: str) -> tuple[str, str]:
        return f"NOTIF#{notification_id}", "NOTIF"

    @staticmethod
    def recipient_partition(recipient_type: str, recipient_id: str) -> str:
        """The GSI1 partition of a household's or a member of staff's notifications."""
        return f"HH#{recipient_id}#NOTIF" if recipient_type == "household" else f"USER#{recipient_id}#NOTIF"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.notification_id)
        self.GSI1PK = self.recipient_partition(self.recipient_type, self.recipient_id)
        self.GSI1SK = f"{self.business_date}#{self.notification_id}"
