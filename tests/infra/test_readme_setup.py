"""What the README says the first ``make run`` and ``make test`` create is what the Makefile does: the venvs each
target's recipe creates, read from ``make --dry-run --always-make`` (commands printed, none run)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENVS = (".venv", ".venv-tools", ".venv-sam")


def _venvs_created_by(target: str) -> set[str]:
    done = subprocess.run(["make", "--dry-run", "--always-make", target], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(re.findall(r" -m venv (\.venv[\w-]*)$", done.stdout, flags=re.MULTILINE))


def _readme_setup_sentence() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("The first `make run`")
    return " ".join(text[start:text.index("later runs start", start)].split())


def test_the_readme_names_the_venvs_make_run_and_make_test_create():
    run, test = _venvs_created_by("run"), _venvs_created_by("test")
    assert run == {".venv"} and test == set(VENVS), (run, test)
    sentence = _readme_setup_sentence()
    by_run, by_test = sentence.split("the first `make test`")
    assert [v for v in VENVS if f"`{v}/`" in by_run] == [".venv"], by_run
    assert [v for v in VENVS if f"`{v}/`" in by_test] == [".venv-tools", ".venv-sam"], by_test
