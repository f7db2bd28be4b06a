"""The item models of the village campaign: the campaign itself, its configuration snapshot, failures, objections,
the village's campaign lock, and the credit village / township evaluations it produces. Each owns its keys
(``key(...)``; :meth:`fill_keys`); see chalicelib.rating.data.models for the ratings' and lines' models.

:class:`Campaign` is still written as a dict item (its counters and step attributes grow with the workflow): the
model gives its keys and index entry (:meth:`Campaign.keyed`); the others are written and read as models.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.platform.dynamo.models import (
    CoreModel,
    DocumentAttribute,
    DocumentListAttribute,
    IntegerAttribute,
    MoneyAttribute,
)
from chalicelib.rating.data.models import keyed_item


# ================================================================================================ campaigns
class Campaign(CoreModel):
    """A village credit campaign (``CAMPAIGN#<campaign_id>`` / ``CAMPAIGN``; attributes in
    chalicelib.rating.data.campaigns); GSI1 ``VILLAGE#<code>#CAMPAIGN`` / ``<period>``. Written as a dict item."""

    KIND = "campaign"

    @staticmethod
    def key(campaign_id: str) -> tuple[str, str]:
        return f"CAMPAIGN#{campaign_id}", "CAMPAIGN"

    @staticmethod
    def partition(campaign_id: str) -> str:
        """The partition of a campaign: its item, configuration, failures and objections."""
        return f"CAMPAIGN#{campaign_id}"

    @staticmethod
    def village_partition(village_code: str) -> str:
        return f"VILLAGE#{village_code}#CAMPAIGN"

    @classmethod
    def keyed(cls, item: dict[str, Any]) -> dict[str, Any]:
        """The dict item of a campaign (``campaign_id``, ``village_code``, ``period``) with its keys."""
        pk, sk = cls.key(item["campaign_id"])
        return keyed_item(item, {"PK": pk, "SK": sk, "kind": cls.KIND,
                             "GSI1PK": cls.village_partition(item["village_code"]), "GSI1SK": str(item["period"])})


class CampaignLock(CoreModel):
    """The village's one open campaign (一村同时只有一个整村授信): ``VILLAGE#<code>`` / ``CAMPAIGN_LOCK`` (the
    partition also holds the village's assignment, admin's). See chalicelib.rating.data.campaigns."""

    kind = UnicodeAttribute(default="campaign_lock")
    village_code = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    period = UnicodeAttribute()
    org_path = UnicodeAttribute()
    acquired_at = UnicodeAttribute()

    @staticmethod
    def key(village_code: str) -> tuple[str, str]:
        return f"VILLAGE#{village_code}", "CAMPAIGN_LOCK"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.village_code)


class CampaignConfig(CoreModel):
    """The snapshot a campaign rates with, written once by its load step (``CAMPAIGN#<id>`` / ``CONFIG``):
    ``rated_on``, ``documents`` (parameter documents by role), ``versions`` (parameter name → version),
    ``challenger``, ``averages`` (village averages)."""

    kind = UnicodeAttribute(default="campaign_config")
    campaign_id = UnicodeAttribute()
    rated_on = UnicodeAttribute()
    documents = DocumentAttribute()
    versions = DocumentAttribute()
    challenger = DocumentAttribute(null=True)
    averages = DocumentAttribute()

    @staticmethod
    def key(campaign_id: str) -> tuple[str, str]:
        return Campaign.partition(campaign_id), "CONFIG"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.campaign_id)


class CampaignFailure(CoreModel):
    """A household the campaign could not rate (``CAMPAIGN#<id>`` / ``FAIL#<household_id>``)."""

    kind = UnicodeAttribute(default="campaign_failure")
    campaign_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    code = UnicodeAttribute()
    message = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)

    PREFIX = "FAIL#"

    @classmethod
    def key(cls, campaign_id: str, household_id: str) -> tuple[str, str]:
        return Campaign.partition(campaign_id), f"{cls.PREFIX}{household_id}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.campaign_id, self.household_id)


class Objection(CoreModel):
    """An objection (异议) raised during the public notice (``CAMPAIGN#<id>`` / ``OBJ#<objection_id>``): ``status``
    open | upheld | dismissed; ``version`` counts its changes."""

    kind = UnicodeAttribute(default="campaign_objection")
    objection_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    rating_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    raised_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    recorded_by = UnicodeAttribute(null=True)
    recorded_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    version = IntegerAttribute(default=1)

    PREFIX = "OBJ#"

    @classmethod
    def key(cls, campaign_id: str, objection_id: str) -> tuple[str, str]:
        return Campaign.partition(campaign_id), f"{cls.PREFIX}{objection_id}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.campaign_id, self.objection_id)


# ================================================================================================ evaluations
class _Evaluation(CoreModel):
    """Attributes of a credit-village evaluation (chalicelib.rating.service.campaign_evaluation)."""

    kind = UnicodeAttribute()
    village_code = UnicodeAttribute()
    village_name = UnicodeAttribute(null=True)
    township_code = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    evaluated_at = UnicodeAttribute()
    evaluated_on = UnicodeAttribute(null=True)
    evaluation_id = UnicodeAttribute(null=True)
    evaluation_version = UnicodeAttribute(null=True)
    parameter_version = IntegerAttribute(null=True)
    facts = DocumentAttribute(null=True)
    credit_household_ratio = MoneyAttribute(null=True)
    borrowers_without_arrears_ratio = MoneyAttribute(null=True)
    npl_ratio = MoneyAttribute(null=True)
    is_credit_village = BooleanAttribute(null=True)
    failed = DocumentListAttribute(null=True)  # the failed criteria's codes

    @staticmethod
    def partition(village_code: str) -> str:
        return f"EVAL#VILLAGE#{village_code}"


class VillageEvaluation(_Evaluation):
    """One campaign's credit-village evaluation, kept as history (``EVAL#VILLAGE#<code>`` /
    ``CAMPAIGN#<campaign_id>``)."""

    HISTORY_PREFIX = "CAMPAIGN#"

    @classmethod
    def key(cls, village_code: str, campaign_id: str) -> tuple[str, str]:
        return cls.partition(village_code), f"{cls.HISTORY_PREFIX}{campaign_id}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.village_code, self.campaign_id)


class LatestVillageEvaluation(_Evaluation):
    """A village's newest evaluation (``EVAL#VILLAGE#<code>`` / ``LATEST``), indexed by GSI1
    ``TOWNSHIP#<township_code>#VILLAGEEVAL`` / ``<village_code>`` for its township's evaluation."""

    @classmethod
    def key(cls, village_code: str) -> tuple[str, str]:
        return cls.partition(village_code), "LATEST"

    @staticmethod
    def township_partition(township_code: str | None) -> str:
        return f"TOWNSHIP#{township_code}#VILLAGEEVAL"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.village_code)
        self.GSI1PK, self.GSI1SK = self.township_partition(self.township_code), self.village_code


class TownshipEvaluation(CoreModel):
    """A credit-township evaluation, recomputed when a village of it is evaluated (``EVAL#TOWNSHIP#<code>`` /
    ``CAMPAIGN#<campaign_id>``)."""

    kind = UnicodeAttribute(default="township_evaluation")
    township_code = UnicodeAttribute()
    township_name = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    evaluated_at = UnicodeAttribute()
    village_count = IntegerAttribute()
    credit_village_count = IntegerAttribute()
    evaluated_village_count = IntegerAttribute()
    credit_village_ratio = MoneyAttribute(null=True)
    is_credit_township = BooleanAttribute()
    failed = DocumentListAttribute(null=True)

    HISTORY_PREFIX = "CAMPAIGN#"

    @staticmethod
    def partition(township_code: str) -> str:
        return f"EVAL#TOWNSHIP#{township_code}"

    @classmethod
    def key(cls, township_code: str, campaign_id: str) -> tuple[str, str]:
        return cls.partition(township_code), f"{cls.HISTORY_PREFIX}{campaign_id}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.township_code, self.campaign_id)
