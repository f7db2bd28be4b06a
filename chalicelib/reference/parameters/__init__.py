"""The shipped default parameter documents, ``<name>.json`` in this package: version 1 of every
parameter (stored by ``infra/seed.py``), and the fallback of readers when no version is stored."""
from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from typing import Any


def shipped(name: str) -> dict[str, Any]:
    """A fresh copy of the shipped document ``name`` (JSON numbers with a fraction as ``Decimal``).
    Raises ``FileNotFoundError`` for a name that is not shipped."""
    path = resources.files(__name__) / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
