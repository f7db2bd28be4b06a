"""The item models of the post-loan context (core table): a loan's post-loan state, its classification changes and
penalty accruals, portfolio snapshots, rating-expiry notes, households' draws, warning signals and their guards,
inspection tasks and notifications.

Each model owns its keys (``key(...)`` and the partition helpers for readers, :meth:`fill_keys` from its own
attributes before every write) and its index entries; no other module builds them. Imported where a model is used
(inside the data functions), so that pynamodb stays off the cold start of a function until it reads or writes one.
Money and rates are :class:`MoneyAttribute` (Decimal), counts :class:`IntegerAttribute`, dates ISO strings.
"""
from __future__ import annotations

from chalicelib.postloan.data.models.base import PostLoanItem, VersionedItem
from chalicelib.postloan.data.models.inspections import InspectionTask, Notification
from chalicelib.postloan.data.models.loans import ClassificationChange, LoanState, PenaltyAccrual
from chalicelib.postloan.data.models.scan import SNAPSHOT_SCOPES, HouseholdDraws, PortfolioSnapshot, RatingExpiryNote
from chalicelib.postloan.data.models.warnings import WARNING_ACTIVE, WarningGuard, WarningSignal

__all__ = ["SNAPSHOT_SCOPES", "WARNING_ACTIVE", "ClassificationChange", "HouseholdDraws", "InspectionTask", "LoanState",
           "Notification", "PenaltyAccrual", "PortfolioSnapshot", "PostLoanItem", "RatingExpiryNote", "VersionedItem",
           "WarningGuard", "WarningSignal"]
