"""A test module that walks one story (a campaign from roster to confirmation, a loan book through a business-date
timeline) has steps that only make sense in order. :class:`Story` runs them in order, each once, whichever test
asks first, so that every test of the module stands alone and any test order (pytest-randomly) runs the same
steps in the same order:

* a step is a function with its own requests and assertions; its test calls ``story.run("<step>")``;
* ``run`` first runs every earlier step not run yet (a test run alone, or first in a random order, runs the steps
  before its own), then its own;
* a step that failed fails its own test and every test whose step comes after it (naming the failed step).

Step functions take the fixtures they name (from those the story was given, and those ``run`` is given by the
calling test, e.g. ``monkeypatch``) and the step's own keyword arguments (a parametrised step).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Step = tuple[str, Callable[..., Any], Mapping[str, Any]]


class Story:
    """Steps ``(name, function, keyword arguments)`` in story order, and the fixtures they may take."""

    def __init__(self, steps: Sequence[Step], **fixtures: Any) -> None:
        names = [name for name, _, _ in steps]
        if len(set(names)) != len(names):
            raise ValueError("step names must be unique")
        self.steps = list(steps)
        self.fixtures = fixtures
        self.outcome: dict[str, BaseException | None] = {}

    def run(self, step: str, **call_fixtures: Any) -> None:
        """Run ``step`` after every step before it (each once); raise what a needed step raised."""
        names = [name for name, _, _ in self.steps]
        if step not in names:
            raise KeyError(f"no step {step!r} in this story")
        for name, fn, kwargs in self.steps[:names.index(step) + 1]:
            if name not in self.outcome:
                available = {**self.fixtures, **call_fixtures, **kwargs}
                wanted = {p: available[p] for p in inspect.signature(fn).parameters}
                try:
                    fn(**wanted)
                except BaseException as exc:
                    self.outcome[name] = exc
                    raise
                self.outcome[name] = None
            failed = self.outcome[name]
            if failed is not None:
                if name == step:
                    raise failed
                raise AssertionError(f"an earlier step of the story failed: {name}") from failed
