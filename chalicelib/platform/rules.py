"""Rules as data: GoRules JDM decision graphs evaluated by zen-engine (docs/decisions/0020), shared by the loans
context's auto-approval and the post-loan context's warning rules.

A decision is compiled once per distinct document (keyed by the hash of its canonical JSON) and kept for the
life of the process. Facts are plain JSON values: zen-engine does not accept ``Decimal``, so money facts are
passed as floats *only* at this boundary (:func:`facts_for`; amounts are at most 12 digits with 2 decimals,
exactly comparable with thresholds written in yuan).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_COMPILED: dict[str, Any] = {}


def compiled_decision(document: Mapping[str, Any]) -> Any:
    """The zen-engine decision of ``document["decision"]`` (a JDM graph), compiled on first use. Raises what
    zen-engine raises for a graph it cannot compile."""
    content = json.dumps(document["decision"], sort_keys=True, ensure_ascii=False, default=str)
    key = hashlib.sha256(content.encode()).hexdigest()
    compiled = _COMPILED.get(key)
    if compiled is None:
        import zen

        compiled = zen.ZenEngine().create_decision(content)
        _COMPILED[key] = compiled
    return compiled


def facts_for(**facts: Any) -> dict[str, Any]:
    """JSON-ready facts: ``Decimal`` → float (see the module docstring), dates → ISO strings."""
    out: dict[str, Any] = {}
    for k, v in facts.items():
        if isinstance(v, Decimal):
            v = float(v)
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        out[k] = v
    return out
