"""What the rating API reads: campaigns, objections, ratings, credit lines and evaluations in the caller's scope
(the repositories own the scope checks; the API layer imports services only)."""
from __future__ import annotations

from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.platform.dynamo import Page
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo


def campaign(principal: Principal, campaign_id: str) -> dict[str, Any]:
    """A campaign in the caller's scope (never to farmers); NotFound ``CAMPAIGN_NOT_FOUND``."""
    return camp_repo.get(principal, campaign_id)


def campaign_failures(campaign_id: str) -> list[dict[str, Any]]:
    """The households the campaign could not rate (``household_id``, ``code``, ``message``); the caller has read
    the campaign in its scope."""
    return camp_repo.failures(campaign_id)


def village_campaigns(principal: Principal, village_code: str) -> list[dict[str, Any]]:
    """A village's campaigns in the caller's scope."""
    return camp_repo.for_village(principal, village_code)


def objections(principal: Principal, campaign_id: str) -> list[dict[str, Any]]:
    """The objections of a campaign in the caller's scope; NotFound ``CAMPAIGN_NOT_FOUND``."""
    camp_repo.get(principal, campaign_id)
    return camp_repo.objections(campaign_id)


def campaign_ratings(principal: Principal, campaign_id: str, *, limit: int, cursor: str | None) -> Page:
    """One page of a campaign's rating summaries in the caller's scope."""
    return rating_repo.page_for_campaign(principal, campaign_id, limit=limit, cursor=cursor)


def rating(principal: Principal, rating_id: str) -> dict[str, Any]:
    """A whole rating in the caller's scope; NotFound ``RATING_NOT_FOUND``."""
    return rating_repo.get(principal, rating_id)


def current_rating(principal: Principal, household_id: str) -> dict[str, Any]:
    """A household's newest rating; NotFound ``RATING_NOT_FOUND``."""
    return rating_repo.current_for_household(principal, household_id)


def rating_history(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """A household's ratings, oldest first, in the caller's scope."""
    return rating_repo.history_for_household(principal, household_id)


def line(principal: Principal, line_id: str) -> dict[str, Any]:
    """A credit line with its sub-lines; NotFound ``CREDIT_LINE_NOT_FOUND``."""
    return line_repo.get(principal, line_id)


def household_lines(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """A household's lines with their sub-lines; NotFound ``HOUSEHOLD_NOT_FOUND`` outside the caller's scope."""
    return line_repo.for_household(principal, household_id)


def village_evaluations(principal: Principal, village_code: str) -> list[dict[str, Any]]:
    """A village's credit-village evaluations (history, oldest first)."""
    return camp_repo.village_evaluations(principal, village_code)


def township_evaluations(principal: Principal, township_code: str) -> list[dict[str, Any]]:
    """A township's credit-township evaluations (history, oldest first)."""
    return camp_repo.township_evaluations(principal, township_code)
