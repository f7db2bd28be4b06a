"""Train a logistic scorecard with optimal binning and export it as a JSON points table.

Offline only (needs the ``[model]`` extra: optbinning, numpy, pandas, scikit-learn). The exported
artifact is applied on the request path by
:func:`chalicelib.rating.domain.statistical_scorecard.apply_points_table` without any of those libraries.

Method
------
1. Stratified train/test split (``sklearn.model_selection.train_test_split``), default 70/30,
   ``random_state=42``.
2. ``optbinning.BinningProcess``: optimal binning of every feature on the training split
   (numerical features → intervals, categorical → groups of categories); WoE per bin.
3. ``optbinning.Scorecard`` with ``sklearn.linear_model.LogisticRegression`` on the WoE-transformed
   features, target ``1 = bad`` (the event), and "PDO/odds" scaling.
4. Metrics (AUC, KS, Gini) on the held-out **test** split; information value (IV) per feature from
   the training split.

Scaling (Siddiqi, *Credit Risk Scorecards*, Wiley 2006, ch. 6 "Scorecard scaling";
also Anderson, *The Credit Scoring Toolkit*, OUP 2007)::

    score  = offset + factor · ln(odds_good:bad)
    factor = PDO / ln 2
    offset = base_points − factor · ln(base_odds)

Defaults: ``base_points = 600`` at ``base_odds = 50:1`` (good:bad) and ``PDO = 20`` (every 20 points
the good:bad odds double) — Siddiqi's worked example. With a logistic model on WoE the score of an
applicant is the sum over variables of its bins' points, where (optbinning's convention, ``n``
variables, ``β`` the coefficients, ``α`` the intercept of the model of P(bad))::

    points(variable j, bin b) = −(β_j · WoE_jb + α / n) · factor + offset / n

so that ``Σ points = offset − factor · logit(PD) = offset + factor · ln((1 − PD) / PD)``, and
conversely ``PD = 1 / (1 + exp((score − offset) / factor))``.

Command line::

    python -m infra.modeling.train infra/modeling/data/germancredit.csv \
        --target creditability --out /tmp/germancredit_scorecard.json
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ARTIFACT_SCHEMA = "village-credit/points-table/v1"

#: Siddiqi (2006) worked example: 600 points at 50:1 good:bad odds, 20 points to double the odds.
DEFAULT_PDO = 20.0
DEFAULT_BASE_ODDS = 50.0
DEFAULT_BASE_POINTS = 600.0


@dataclass
class TrainResult:
    """Outcome of :func:`train_scorecard`.

    Attributes:
        metrics: ``{"auc", "ks", "gini"}`` as floats in [0, 1] (Gini in [-1, 1]) measured on the
            **test** split from the model's probability of default; ``gini == 2·auc − 1``.
        iv: one entry per feature, in feature order: ``{"name", "dtype" ("numerical" |
            "categorical"), "iv", "n_bins"}`` (IV from the training split, natural log).
        n_train / n_test: number of rows in each split.
        artifact: the JSON-serialisable points table (see :func:`build_artifact` for its shape).
        fit_seconds: wall time of the binning + logistic fit, in seconds.
        scorecard / x_test / y_test: the fitted ``optbinning.Scorecard`` and the test split
            (pandas DataFrame / Series with 1 = bad), kept for checks; not serialised.
    """

    metrics: dict[str, float]
    iv: list[dict[str, Any]]
    n_train: int
    n_test: int
    artifact: dict[str, Any]
    fit_seconds: float
    scorecard: Any = field(default=None, repr=False)
    x_test: Any = field(default=None, repr=False)
    y_test: Any = field(default=None, repr=False)


def _resolve_bad_value(values: list[Any], bad_value: Any) -> Any:
    """Pick the target value that means "bad" (default / the modelled event).

    Explicit ``bad_value`` wins. Otherwise: targets coded {0, 1} → 1; targets containing the string
    ``"bad"`` (case-insensitive, as in the UCI German Credit CSV: good/bad) → that value.

    Raises:
        ValueError: the target does not have exactly two distinct values, ``bad_value`` is not one
            of them, or it cannot be inferred.
    """
    distinct = sorted({v for v in values}, key=str)
    if len(distinct) != 2:
        raise ValueError(f"binary target expected, found {len(distinct)} distinct values: {distinct[:10]}")
    if bad_value is not None:
        if bad_value not in distinct:
            as_text = [v for v in distinct if str(v) == str(bad_value)]  # e.g. "1" from the CLI
            if len(as_text) == 1:
                return as_text[0]
            raise ValueError(f"bad_value {bad_value!r} not among target values {distinct}")
        return bad_value
    if set(distinct) == {0, 1}:
        return 1
    for v in distinct:
        if isinstance(v, str) and v.strip().lower() == "bad":
            return v
    raise ValueError(f"cannot infer which target value is 'bad' among {distinct}; pass bad_value=")


def _num(x: Any) -> float | None:
    """numpy scalar → JSON float; ±inf → None (open interval end)."""
    f = float(x)
    if math.isinf(f):
        return None
    return f


def _content_hash(artifact: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the artifact without ``version`` and ``trained_at``.

    Two trainings on the same data with the same library versions give the same version.
    """
    body = {k: v for k, v in artifact.items() if k not in ("version", "trained_at")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _version_of(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - only if run from a source tree
        return "unknown"


def build_artifact(scorecard: Any, *, model_id: str, target: str, bad_value: Any,
                   features: list[str], metrics: dict[str, Any], scaling: dict[str, Any],
                   source: dict[str, Any]) -> dict[str, Any]:
    """Export a fitted ``optbinning.Scorecard`` (pdo_odds scaling) as a JSON points table.

    Shape (all numbers are JSON numbers; ``null`` interval ends are ±infinity)::

        {
          "schema": "village-credit/points-table/v1",
          "model_id": str, "version": "sha256:<64 hex>", "trained_at": ISO-8601 UTC,
          "target": str, "bad_value": str | int, "features": [str, ...],
          "metrics": {"auc", "ks", "gini", "n_train", "n_test", "test_size", "random_state",
                      "split": "stratified"},
          "scaling": {"method": "pdo_odds", "pdo", "base_odds", "base_points", "factor", "offset",
                      "odds": "good:bad", "score_to_pd": "pd = 1 / (1 + exp((score - offset) / factor))"},
          "base_points": float,        # added to the sum of bin points (0 unless intercept-based)
          "training": {"library": "optbinning", "versions": {...}, "estimator": ..., "source": {...}},
          "variables": [
            {"name": str, "dtype": "numerical" | "categorical", "iv": float, "coefficient": float,
             "special_codes": [],       # values routed to the "special" bin (none by default)
             "unknown_bin": int,        # bin id for a category never seen in training
             "bins": [
               {"id": 0, "kind": "interval", "lower": null | float, "upper": null | float,
                "label": "(-inf, 8.50)", "points": float, "woe": float, "count": int,
                "event_rate": float},                               # numerical: [lower, upper)
               {"id": 0, "kind": "categories", "categories": [str, ...], ...},   # categorical
               {"id": k, "kind": "special", ...}, {"id": k+1, "kind": "missing", ...}
             ]}
          ]
        }

    Interval bins are left-closed, right-open ``[lower, upper)`` — optbinning bins numerical values
    with ``numpy.digitize(x, splits, right=False)``. ``unknown_bin`` is the missing bin: that is what
    ``Scorecard.score`` does with an unseen category (index −1 = the last row, "Missing"); with no
    missing values in training, its WoE is 0, i.e. the neutral (average-odds) contribution.
    """
    bp = scorecard.binning_process_
    table = scorecard.table(style="detailed")
    summary = bp.summary().set_index("name")
    selected = list(bp.get_support(names=True))
    variables: list[dict[str, Any]] = []
    for name in selected:
        ob = bp.get_binned_variable(name)
        rows = table[table["Variable"] == name].reset_index(drop=True)
        dtype = ob.dtype
        n_regular = len(rows) - 2  # last two rows are Special and Missing
        if dtype == "numerical":
            edges = [-math.inf] + [float(s) for s in ob.splits] + [math.inf]
            if len(edges) - 1 != n_regular:
                raise RuntimeError(f"{name}: {len(edges) - 1} intervals but {n_regular} table rows")
        bins: list[dict[str, Any]] = []
        coefficient = float(rows["Coefficient"].iloc[0])
        for i, row in rows.iterrows():
            entry: dict[str, Any] = {"id": int(i)}
            if i < n_regular:
                if dtype == "numerical":
                    entry.update(kind="interval", lower=_num(edges[i]), upper=_num(edges[i + 1]))
                else:
                    entry.update(kind="categories", categories=[str(c) for c in row["Bin"]])
                entry["label"] = str(row["Bin"]) if dtype == "numerical" else ", ".join(
                    str(c) for c in row["Bin"])
            elif i == n_regular:
                entry.update(kind="special", label="Special")
            else:
                entry.update(kind="missing", label="Missing")
            entry.update(points=float(row["Points"]), woe=float(row["WoE"]), count=int(row["Count"]),
                         event_rate=float(row["Event rate"]))
            bins.append(entry)
        variables.append({
            "name": name,
            "dtype": dtype,
            "iv": float(summary.loc[name, "iv"]),
            "coefficient": coefficient,
            "special_codes": list(ob.special_codes or []),
            "unknown_bin": n_regular + 1,
            "bins": bins,
        })

    artifact: dict[str, Any] = {
        "schema": ARTIFACT_SCHEMA,
        "model_id": model_id,
        "version": "",
        "trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "target": target,
        "bad_value": bad_value,
        "features": list(features),
        "metrics": metrics,
        "scaling": scaling,
        "base_points": float(getattr(scorecard, "intercept_", 0.0) or 0.0),
        "training": {
            "library": "optbinning",
            "versions": {d: _version_of(d) for d in ("optbinning", "scikit-learn", "numpy", "pandas")},
            "estimator": "sklearn.linear_model.LogisticRegression(max_iter=1000)",
            "source": source,
        },
        "variables": variables,
    }
    artifact["version"] = _content_hash(artifact)
    return artifact


def train_scorecard(csv_path: Path, target: str, *, test_size: float = 0.3, random_state: int = 42,
                    bad_value: Any = None, model_id: str | None = None, pdo: float = DEFAULT_PDO,
                    base_odds: float = DEFAULT_BASE_ODDS,
                    base_points: float = DEFAULT_BASE_POINTS) -> TrainResult:
    """Fit an optimal-binning logistic scorecard on a CSV and export it as a points table.

    Args:
        csv_path: CSV with a header; every column other than ``target`` is a feature. Numeric
            columns (as parsed by pandas) are binned as intervals, all others as categories.
            Empty cells are missing values.
        target: name of the binary target column.
        test_size: fraction of rows held out (stratified on the target) for the metrics.
        random_state: seed of the split (the logistic fit and binning are deterministic).
        bad_value: target value meaning "bad"/default; inferred for 0/1 and good/bad codings.
        model_id: identifier in the artifact; default ``"<csv stem>-scorecard"``.
        pdo, base_odds, base_points: scaling — ``base_points`` at good:bad odds ``base_odds``,
            ``pdo`` points to double the odds (Siddiqi 2006).

    Returns:
        :class:`TrainResult` with test-split AUC/KS/Gini, per-feature IV and the artifact.

    Raises:
        FileNotFoundError: ``csv_path`` does not exist.
        ValueError: ``target`` is not a column, is not binary, or ``bad_value`` is wrong.
        ImportError: optbinning / scikit-learn / pandas are not installed (``[model]`` extra).
    """
    with warnings.catch_warnings():
        # optbinning 1.0 uses pandas APIs deprecated in pandas 3 (inplace=..., dtype upcasts):
        # silence those, and only those coming from optbinning's own modules.
        warnings.filterwarnings("ignore", module=r"optbinning(\..*)?")
        return _train(Path(csv_path), target, test_size=test_size, random_state=random_state,
                      bad_value=bad_value, model_id=model_id, pdo=pdo, base_odds=base_odds,
                      base_points=base_points)


def _train(csv_path: Path, target: str, *, test_size: float, random_state: int, bad_value: Any,
           model_id: str | None, pdo: float, base_odds: float, base_points: float) -> TrainResult:
    import pandas as pd
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score, roc_curve
    from sklearn.model_selection import train_test_split

    raw = csv_path.read_bytes()
    df = pd.read_csv(csv_path)
    if target not in df.columns:
        raise ValueError(f"target column {target!r} not in {list(df.columns)}")
    if df[target].isna().any():
        raise ValueError(f"target column {target!r} has missing values")
    bad = _resolve_bad_value(df[target].tolist(), bad_value)
    y = (df[target] == bad).astype(int)
    x = df.drop(columns=[target])
    features = list(x.columns)
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(x[c])]

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=random_state, stratify=y)

    scaling_params = {"pdo": pdo, "odds": base_odds, "scorecard_points": base_points}
    scorecard = Scorecard(
        binning_process=BinningProcess(variable_names=features, categorical_variables=categorical),
        estimator=LogisticRegression(max_iter=1000),
        scaling_method="pdo_odds",
        scaling_method_params=scaling_params,
    )
    t0 = time.perf_counter()
    scorecard.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - t0

    pd_test = scorecard.predict_proba(x_test)[:, 1]
    auc = float(roc_auc_score(y_test, pd_test))
    fpr, tpr, _ = roc_curve(y_test, pd_test)
    ks = float(max(tpr - fpr))
    metrics = {"auc": auc, "ks": ks, "gini": 2.0 * auc - 1.0}

    summary = scorecard.binning_process_.summary().set_index("name")
    iv = [{"name": f, "dtype": str(summary.loc[f, "dtype"]), "iv": float(summary.loc[f, "iv"]),
           "n_bins": int(summary.loc[f, "n_bins"])} for f in features]

    factor = pdo / math.log(2)
    scaling = {
        "method": "pdo_odds", "pdo": float(pdo), "base_odds": float(base_odds),
        "base_points": float(base_points), "factor": factor,
        "offset": base_points - factor * math.log(base_odds), "odds": "good:bad",
        "score_to_pd": "pd = 1 / (1 + exp((score - offset) / factor))",
    }
    artifact = build_artifact(
        scorecard,
        model_id=model_id or f"{csv_path.stem}-scorecard",
        target=target,
        bad_value=bad.item() if hasattr(bad, "item") else bad,
        features=features,
        metrics={**metrics, "n_train": len(x_train), "n_test": len(x_test),
                 "test_size": float(test_size), "random_state": int(random_state),
                 "split": "stratified"},
        scaling=scaling,
        source={"file": csv_path.name, "sha256": hashlib.sha256(raw).hexdigest(), "rows": len(df)},
    )
    return TrainResult(metrics=metrics, iv=iv, n_train=len(x_train), n_test=len(x_test),
                       artifact=artifact, fit_seconds=fit_seconds, scorecard=scorecard,
                       x_test=x_test, y_test=y_test)


def main(argv: list[str] | None = None) -> int:
    """CLI: train and write the artifact JSON; prints the test metrics."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--target", required=True)
    parser.add_argument("--bad-value", default=None)
    parser.add_argument("--test-size", type=float, default=0.3)
    parser.add_argument("--random-state", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = train_scorecard(args.csv, args.target, test_size=args.test_size,
                             random_state=args.random_state, bad_value=args.bad_value)
    args.out.write_text(json.dumps(result.artifact, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({**result.metrics, "n_train": result.n_train, "n_test": result.n_test,
                      "fit_seconds": round(result.fit_seconds, 3),
                      "version": result.artifact["version"]}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
