"""The warning scan's read models: portfolio snapshots, rating-expiry notes, households' draws."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.dynamo.models import DocumentAttribute, IntegerAttribute, MoneyAttribute
from chalicelib.postloan.data.models.base import PostLoanItem

SNAPSHOT_SCOPES = {"village": "VILLAGE#", "manager": "AM#", "org": "ORG#"}


class PortfolioSnapshot(PostLoanItem):
    """A portfolio snapshot written by the warning scan: ``PLSNAP#<scope>`` / ``<business_date>``, the scope being
    a village (``VILLAGE#<code>``), an account manager (``AM#<user_id>``) or an organisation (``ORG#<org_id>``):
    loan counts, outstanding (CNY), overdue and NPL rates."""

    kind = UnicodeAttribute(default="portfolio_snapshot")
    scope = UnicodeAttribute()
    business_date = UnicodeAttribute()
    org_path = UnicodeAttribute(null=True)
    loan_count = IntegerAttribute()
    outstanding = MoneyAttribute()
    overdue_count = IntegerAttribute()
    overdue_outstanding = MoneyAttribute()
    npl_outstanding = MoneyAttribute()
    overdue_rate = MoneyAttribute()
    npl_rate = MoneyAttribute()

    @staticmethod
    def scope_of(kind: str, scope_id: str) -> str:
        """``village`` | ``manager`` | ``org`` and an id → the scope string (``VILLAGE#<code>``...)."""
        return f"{SNAPSHOT_SCOPES[kind]}{scope_id}"

    @classmethod
    def partition(cls, kind: str, scope_id: str) -> str:
        return f"PLSNAP#{cls.scope_of(kind, scope_id)}"

    @classmethod
    def key(cls, kind: str, scope_id: str, day: str) -> tuple[str, str]:
        return cls.partition(kind, scope_id), day

    def fill_keys(self) -> None:
        self.PK, self.SK = f"PLSNAP#{self.scope}", self.business_date


class RatingExpiryNote(PostLoanItem):
    """A rating noted before it expired: ``PLRATEXP#<valid_to>`` / ``<household_id>#<rating_id>`` (the rating
    context drops expired ratings from its queue; the warning scan reads the notes back)."""

    kind = UnicodeAttribute(default="rating_expiry_note")
    household_id = UnicodeAttribute()
    rating_id = UnicodeAttribute()
    valid_to = UnicodeAttribute()
    org_path = UnicodeAttribute()
    village_code = UnicodeAttribute(null=True)

    @staticmethod
    def partition(valid_to: str) -> str:
        return f"PLRATEXP#{valid_to}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.partition(self.valid_to), f"{self.household_id}#{self.rating_id}"


class HouseholdDraws(PostLoanItem):
    """The loans of a household drawn in the cycling window: ``PLHH#<household_id>`` / ``DRAWS`` (``draws``:
    {loan_id: start_date}); GSI2 ``PLDRAWN#<last draw date>`` / ``<household_id>``: the households that drew on a
    date."""

    kind = UnicodeAttribute(default="household_draws")
    household_id = UnicodeAttribute()
    draws = DocumentAttribute(null=True)

    @staticmethod
    def key(household_id: str) -> tuple[str, str]:
        return f"PLHH#{household_id}", "DRAWS"

    @staticmethod
    def drawn_partition(day: str) -> str:
        """The GSI2 partition of the households whose latest draw was on ``day``."""
        return f"PLDRAWN#{day}"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.household_id)
        self.GSI2PK = self.GSI2SK = None
        if self.draws:
            self.GSI2PK, self.GSI2SK = self.drawn_partition(max(self.draws.values())), self.household_id
