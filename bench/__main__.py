"""`make bench`: runs every benchmark module and prints its figures (and writes bench/results/*.json).

    python -m bench [--smoke] [NAME ...]

``--smoke``: each module's ``SMOKE`` sizes (a tiny run of the same code, see ``bench/__init__.py``); the
figures are printed but not written to ``bench/results/`` (they say nothing at those sizes).
"""
from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def modules() -> list[str]:
    """Every benchmark module, in the order ``make bench`` runs them."""
    return ["cold_start"] + sorted(p.stem for p in HERE.glob("bench_*.py"))


def main(names: list[str], *, smoke: bool = False) -> None:
    out_dir = HERE / "results"
    for name in names or modules():
        mod = importlib.import_module(f"bench.{name}")
        sizes = dict(mod.SMOKE) if smoke else {}
        print(f"== {name}" + (f" (smoke: {sizes})" if smoke else ""), flush=True)
        t = time.perf_counter()
        result = mod.run(**sizes)
        result["_wall_seconds"] = round(time.perf_counter() - t, 2)
        text = mod.report(result) if hasattr(mod, "report") else json.dumps(result, ensure_ascii=False, indent=1, default=str)
        print(text, flush=True)
        if not smoke:
            out_dir.mkdir(exist_ok=True)
            (out_dir / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check every benchmark still runs")
    parser.add_argument("names", nargs="*", help=f"benchmark modules (default: all of {modules()})")
    args = parser.parse_args()
    main(args.names, smoke=args.smoke)
