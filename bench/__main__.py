"""`make bench`: runs every benchmark module and prints its figures (and writes bench/results/*.json).

    python -m bench [--smoke] [NAME ...]

Each benchmark runs in a fresh Python process: most start a local stack, and moto keeps its state per
process (a second stack in the same process finds the first one's secrets, tables and keys). ``--smoke``:
each module's ``SMOKE`` sizes (a tiny run of the same code, see ``bench/__init__.py``); the figures are
printed but not written to ``bench/results/`` (they say nothing at those sizes).
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def modules() -> list[str]:
    """Every benchmark module, in the order ``make bench`` runs them."""
    return ["cold_start"] + sorted(p.stem for p in HERE.glob("bench_*.py"))


def run_one(name: str, *, smoke: bool = False) -> None:
    """Run the benchmark module ``name`` in this process and print (and, at full size, save) its figures."""
    mod = importlib.import_module(f"bench.{name}")
    sizes = dict(mod.SMOKE) if smoke else {}
    print(f"== {name}" + (f" (smoke: {sizes})" if smoke else ""), flush=True)
    t = time.perf_counter()
    result = mod.run(**sizes)
    result["_wall_seconds"] = round(time.perf_counter() - t, 2)
    text = mod.report(result) if hasattr(mod, "report") else json.dumps(result, ensure_ascii=False, indent=1, default=str)
    print(text, flush=True)
    if not smoke:
        out_dir = HERE / "results"
        out_dir.mkdir(exist_ok=True)
        (out_dir / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


def main(names: list[str], *, smoke: bool = False) -> int:
    """Run ``names`` (default: all), each in its own process when there are several; returns the exit
    status (1 if any failed; the others still run)."""
    names = names or modules()
    if len(names) == 1:
        run_one(names[0], smoke=smoke)
        return 0
    failed = []
    for name in names:
        proc = subprocess.run([sys.executable, "-m", "bench", *(["--smoke"] if smoke else []), name],
                              cwd=HERE.parent)
        if proc.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check every benchmark still runs")
    parser.add_argument("names", nargs="*", help=f"benchmark modules (default: all of {modules()})")
    args = parser.parse_args()
    sys.exit(main(args.names, smoke=args.smoke))
