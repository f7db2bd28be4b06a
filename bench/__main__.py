"""`make bench`: runs every benchmark module and prints its figures (and writes bench/results/*.json)."""
from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> None:
    modules = names or ["cold_start"] + sorted(p.stem for p in HERE.glob("bench_*.py"))
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    for name in modules:
        mod = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        t = time.perf_counter()
        result = mod.run()
        result["_wall_seconds"] = round(time.perf_counter() - t, 2)
        text = mod.report(result) if hasattr(mod, "report") else json.dumps(result, ensure_ascii=False, indent=1, default=str)
        print(text, flush=True)
        (out_dir / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
