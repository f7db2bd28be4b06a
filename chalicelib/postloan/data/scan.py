"""The warning scan's read models (derived, written with plain batch writes): portfolio snapshots, the households'
draws in the cycling window and the notes of ratings about to expire (models in
:mod:`chalicelib.postloan.data.models`: ``PortfolioSnapshot``, ``HouseholdDraws``, ``RatingExpiryNote``)."""
from __future__ import annotations

from datetime import date
from typing import Any


# ------------------------------------------------------------------------------------------------ draws
def record_draws(new_loans: dict[str, list[tuple[str, str]]], *, keep_from: str) -> dict[str, dict[str, str]]:
    """Add newly seen loans ``{household_id: [(loan_id, start_date), ...]}`` to each household's draw record
    (``draws`` {loan_id: start_date} since ``keep_from``) and return the records (key reads and batch writes
    only: the warning scan's cycling check)."""
    from chalicelib.platform.dynamo.batch import get_models, put_models
    from chalicelib.postloan.data.models import HouseholdDraws

    found = {m.household_id: m for m in get_models(HouseholdDraws, [HouseholdDraws.key(h) for h in new_loans])}
    out: dict[str, dict[str, str]] = {}
    records = []
    for hh, seen in new_loans.items():
        known = found[hh].draws if hh in found else None
        draws = {k: v for k, v in (known or {}).items() if v >= keep_from}
        draws.update({lid: start for lid, start in seen if start >= keep_from})
        out[hh] = draws
        records.append(HouseholdDraws(household_id=hh, draws=draws))
    if records:
        put_models(records)
    return out


def households_drawn_on(day: date) -> list[str]:
    """Households whose latest noted draw was on ``day``: the warning scan finds those whose loans were drawn
    and repaid before it could see them active."""
    from chalicelib.platform.dynamo.pages import model_query_all
    from chalicelib.postloan.data.models import HouseholdDraws

    return [m.household_id for m in model_query_all(HouseholdDraws, index="GSI2",
                                                    pk_value=HouseholdDraws.drawn_partition(day.isoformat()))]


# ------------------------------------------------------------------------------------------------ rating expiries
def note_rating_expiries(ratings: list[dict[str, Any]]) -> int:
    """Note ratings about to expire (``household_id``, ``rating_id``, ``valid_to``, ``org_path``,
    ``village_code``): the rating context's expiry job drops them from its queue once expired, the warning scan
    reads the notes."""
    from chalicelib.platform.dynamo.batch import put_models
    from chalicelib.postloan.data.models import RatingExpiryNote

    notes = [RatingExpiryNote(household_id=r["household_id"], rating_id=r["rating_id"], valid_to=r["valid_to"],
                              org_path=r["org_path"], village_code=r.get("village_code"))
             for r in ratings if r.get("valid_to") and r.get("household_id")]
    return put_models(notes) if notes else 0


def rating_expiries(valid_to: date) -> list[dict[str, Any]]:
    """The notes of ratings whose last valid day was ``valid_to``."""
    from chalicelib.platform.dynamo.pages import model_query_all
    from chalicelib.postloan.data.models import RatingExpiryNote

    return [m.as_dict() for m in model_query_all(RatingExpiryNote,
                                                 pk_value=RatingExpiryNote.partition(valid_to.isoformat()))]


# ------------------------------------------------------------------------------------------------ snapshots
def put_snapshots(day: date, **scopes: dict[str, dict[str, Any]]) -> int:
    """The portfolio snapshots of ``day``: ``village=``, ``manager=``, ``org=`` each ``{id: values}`` (values:
    ``org_path``, ``loan_count``, ``outstanding``, ``overdue_count``, ``overdue_outstanding``, ``npl_outstanding``,
    ``overdue_rate``, ``npl_rate``). Returns the number of snapshots."""
    from chalicelib.platform.dynamo.batch import put_models
    from chalicelib.postloan.data.models import PortfolioSnapshot

    snaps = [PortfolioSnapshot(scope=PortfolioSnapshot.scope_of(kind, sid), business_date=day.isoformat(),
                               **{k: v for k, v in values.items() if v is not None})
             for kind, group in scopes.items() for sid, values in group.items()]
    if snaps:
        put_models(snaps)
    return len(snaps)


def snapshot(kind: str, scope_id: str, day: date) -> dict[str, Any] | None:
    """The snapshot of a scope (``village`` | ``manager`` | ``org`` and its id) on ``day``."""
    from chalicelib.postloan.data.models import PortfolioSnapshot

    found = PortfolioSnapshot.find(*PortfolioSnapshot.key(kind, scope_id, day.isoformat()), consistent=False)
    return found.as_dict() if found else None


def snapshots(kind: str, scope_ids: list[str], day: date) -> dict[str, dict[str, Any]]:
    """The snapshots of several scopes of one kind on ``day``, by scope id."""
    from chalicelib.platform.dynamo.batch import get_models
    from chalicelib.postloan.data.models import PortfolioSnapshot

    wanted = {PortfolioSnapshot.scope_of(kind, s): s for s in scope_ids}
    found = get_models(PortfolioSnapshot, [PortfolioSnapshot.key(kind, s, day.isoformat()) for s in scope_ids],
                       consistent=False)
    return {wanted[m.scope]: m.as_dict() for m in found}


def snapshot_near(kind: str, scope_id: str, day: date, *, earliest: date) -> dict[str, Any] | None:
    """The newest snapshot of a scope dated from ``earliest`` to ``day`` (a scan that did not run on ``day``
    itself must not make the comparison silently vanish)."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import PortfolioSnapshot

    page = model_query(PortfolioSnapshot, pk_value=PortfolioSnapshot.partition(kind, scope_id), limit=1,
                       forward=False, sk_op="between", sk_value=(earliest.isoformat(), day.isoformat()))
    return page.items[0].as_dict() if page.items else None


def latest_snapshot(kind: str, scope_id: str) -> dict[str, Any] | None:
    """The newest snapshot of a scope (``None`` before any scan covered it)."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import PortfolioSnapshot

    page = model_query(PortfolioSnapshot, pk_value=PortfolioSnapshot.partition(kind, scope_id), limit=1, forward=False)
    return page.items[0].as_dict() if page.items else None
