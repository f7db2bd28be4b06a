"""Changes of a rating's or a credit line's status once they exist, each with its audit record, added to the
caller's transaction: the one place that writes them after their creation (the campaign's activation and closing,
rating review, objections, the daily expiry). Both maintain the expiry queue (GSI3, the models' entry) and a line
leaving the proposed/active states gives its household's line slot back in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, DomainError
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.service.campaign_tx import audit, settings


def change_rating(tx: dynamo.TxBuilder, rating: dict[str, Any], change: dict[str, Any], actor: str, action: str,
                  reason: str | None, *, remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """Add to ``tx`` the change of a rating's attributes (``change``; a ``None`` value removes the attribute, as
    do ``remove``), guarded by its ``version`` (Conflict ``VERSION_CONFLICT`` when it changed), with its audit
    record; an effective rating enters the expiry queue, one that stops being effective leaves it. ``rating``
    needs only ``rating_id``, ``status``, ``version``, ``org_path`` (and ``grade``): a projection will do.
    Returns the rating as it will be stored."""
    now = utc_now_iso()
    names = {"#v": "version", "#u": "updated_at"}
    values: dict[str, Any] = {":v": rating["version"], ":v1": rating["version"] + 1, ":now": now}
    sets = ["#v = :v1", "#u = :now"]
    changed = {k: v for k, v in change.items() if v is not None}
    removes = [*remove, *(k for k, v in change.items() if v is None)]
    for n, (k, v) in enumerate(changed.items()):
        names[f"#c{n}"], values[f":c{n}"] = k, v
        sets.append(f"#c{n} = :c{n}")
    new_status = changed.get("status", rating["status"])
    if new_status == "effective" and changed.get("valid_to"):
        names.update({"#g3p": "GSI3PK", "#g3s": "GSI3SK"})
        values[":g3p"], values[":g3s"] = rating_repo.expiry_index(rating["rating_id"], changed["valid_to"])
        sets += ["#g3p = :g3p", "#g3s = :g3s"]
    elif rating["status"] == "effective" and new_status != "effective":
        removes += ["GSI3PK", "GSI3SK"]
    removes = list(dict.fromkeys(removes))
    names.update({f"#r{n}": k for n, k in enumerate(removes)})
    expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(f"#r{n}" for n in range(len(removes))) if removes
                                       else "")
    tx.update(settings().core_table, rating_repo.key(rating["rating_id"]), expr, values=values, names=names,
              condition="#v = :v", on_fail=Conflict(f"rating {rating['rating_id']} was changed by someone else; "
                                                    "reload and retry", code="VERSION_CONFLICT", field="version"))
    stored = {k: v for k, v in rating.items() if k not in removes}
    stored.update(changed, version=rating["version"] + 1, updated_at=now)
    tx.audit(settings().audit_table, audit("rating", rating["rating_id"], action, actor,
                                           {k: rating.get(k) for k in ("status", "grade", "version", "proposed_limit")},
                                           {k: stored.get(k) for k in ("status", "grade", "version", "proposed_limit",
                                                                       *changed) if k != "adjustments"},
                                           rating["org_path"], reason))
    return stored


@dataclass
class LineCondition:
    """A further condition on a line's change (an expression with its ``values``/``names``) and the error its
    failure stands for (default Conflict ``CREDIT_LINE_STATE_CONFLICT``)."""

    expression: str | None = None
    values: dict[str, Any] | None = None
    names: dict[str, str] | None = None
    on_fail: DomainError | None = None


def change_line(tx: dynamo.TxBuilder, line: dict[str, Any], change: dict[str, Any], actor: str, action: str,
                reason: str | None, *, also: LineCondition | None = None) -> None:
    """Add to ``tx`` the change of a master line's status (``change["status"]``) and attributes, conditioned on
    its status as read (the loans context moves ``available`` concurrently, so a line is never replaced whole once
    it can be drawn) and ``also``; with its audit record. An active line enters the expiry queue, a line that
    stops being active leaves it; a line leaving :data:`vc.LINE_SLOT_STATUSES` releases its household's line
    slot in the same transaction (if it holds it: ``holds_slot``, which the condition checks as read)."""
    also = also or LineCondition()
    status_to = change["status"]
    names = {"#st": "status", "#v": "version", "#u": "updated_at", "#hs": "holds_slot"}
    values: dict[str, Any] = {":from": line["status"], ":one": 1, ":now": utc_now_iso()}
    sets = ["#u = :now"]
    for n, (k, v) in enumerate(change.items()):
        names[f"#c{n}"], values[f":c{n}"] = k, v
        sets.append(f"#c{n} = :c{n}")
    removes: list[str] = []
    if status_to == "active" and change.get("valid_to"):
        names.update({"#g3p": "GSI3PK", "#g3s": "GSI3SK"})
        values[":g3p"], values[":g3s"] = line_repo.expiry_index(line["line_id"], change["valid_to"])
        sets += ["#g3p = :g3p", "#g3s = :g3s"]
    elif line["status"] == "active":
        names.update({"#g3p": "GSI3PK", "#g3s": "GSI3SK"})
        removes = ["#g3p", "#g3s"]
    holds = bool(line.get("holds_slot"))
    releases = holds and status_to not in vc.LINE_SLOT_STATUSES
    if releases:
        removes.append("#hs")
    expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "") + " ADD #v :one"
    cond = "#st = :from AND " + ("#hs = :true" if holds else "attribute_not_exists(#hs)")
    if holds:
        values[":true"] = True
    cond += f" AND ({also.expression})" if also.expression else ""
    values.update(also.values or {})
    names.update(also.names or {})
    tx.update(settings().core_table, line_repo.key(line["line_id"]), expr, values=values, names=names, condition=cond,
              on_fail=also.on_fail or Conflict(f"credit line {line['line_id']} changed meanwhile",
                                               code="CREDIT_LINE_STATE_CONFLICT"))
    if releases:
        line_repo.add_release_slot(tx, line)
    tx.audit(settings().audit_table, audit("credit_line", line["line_id"], action, actor,
                                           {k: line.get(k) for k in ("status", "limit", "available", "version")},
                                           {"status": status_to, **{k: v for k, v in change.items() if k != "status"}},
                                           line["org_path"], reason))
