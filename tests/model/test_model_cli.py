"""``village-credit model train`` as the README shows it: the README's command, as written, trains on the shipped
reference data; a wrong target or unusable data is one line and exit 2, before any training. Skips without the
``[model]`` extra (its absence is tested in tests/unit/test_cli.py)."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

pytest.importorskip("optbinning")

from infra import cli

ROOT = Path(__file__).resolve().parents[2]
CSV = "infra/modeling/data/germancredit.csv"


def _readme_command() -> list[str]:
    """The arguments of the README's `model train` command line (the one that starts with .venv/bin/village-credit)."""
    lines = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if line.strip().startswith(".venv/bin/village-credit model train ")]
    assert len(lines) == 1, lines
    return shlex.split(lines[0].split("#")[0])[1:]


def test_the_readmes_command_trains_on_the_reference_data(tmp_path, monkeypatch, capsys):
    args = _readme_command()
    assert args[:3] == ["model", "train", CSV] and args[args.index("--target") + 1] == "creditability"
    monkeypatch.chdir(ROOT)  # the README's commands run in the clone
    out = tmp_path / "scorecard.json"
    args = args[:args.index("--out")] + ["--out", str(out)] if "--out" in args else args + ["--out", str(out)]
    assert cli.main(args) == 0, capsys.readouterr().err
    artifact = json.loads(out.read_text(encoding="utf-8"))
    # infra/modeling/data/README.md: 20 features, target creditability with bad = the event
    assert artifact["target"] == "creditability" and str(artifact["bad_value"]) == "bad"
    assert "AUC 0." in capsys.readouterr().out


@pytest.mark.parametrize("target, code, said", [
    ("Creditability", "MODEL_TARGET_UNKNOWN", f"(the target of {CSV} is creditability)"),
    ("age_in_years", "MODEL_DATA_INVALID", "binary target expected"),
])
def test_a_target_the_data_cannot_train_is_one_line_exit_2(tmp_path, monkeypatch, capsys, target, code, said):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "scorecard.json"
    assert cli.main(["model", "train", CSV, "--target", target, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"ERROR {code}: ") and said in lines[0], lines
    assert not out.exists()
