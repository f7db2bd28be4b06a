"""Offline training of the statistical ("big-data") scorecard.

This package is *not* on the Lambda code path: it imports optbinning (which pulls in numpy, pandas,
scikit-learn, OR-Tools, cvxpy; ~800 MB installed) and is installed only with the ``[model]`` extra.
It produces a JSON points table (see :func:`infra.modeling.train.train_scorecard`) that the request
path applies with the pure-Python :func:`chalicelib.rating.domain.statistical_scorecard.apply_points_table`.

Import :mod:`infra.modeling.train` explicitly; this ``__init__`` deliberately imports nothing heavy.
"""

__all__ = ["train"]
