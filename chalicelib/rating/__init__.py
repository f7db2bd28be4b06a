"""The rating context: scorecards and ratings, the whole-village credit campaign (notice, objections,
confirmation), credit lines and their usage, village evaluations.

Other contexts use it only through :mod:`chalicelib.rating.public`."""
