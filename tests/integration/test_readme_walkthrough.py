"""The README's walk-through through the API ("The same through the API"), run as written: its bash block, with only
``API=`` pointed at this worker's stack, in the clone, against the business date 2027-06-30 (past the shipped LPR
table, so `lpr demo-fill` is part of it). It must end with a disbursed loan, an early repayment and the line
restored, and use a village `village-credit demo` never takes (the two are independent)."""
from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

from tests.conftest import HANG_GUARD_SECONDS

ROOT = Path(__file__).resolve().parents[2]


def readme_block() -> str:
    """The bash block of the README's section "The same through the API"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The same through the API"):]
    return section[section.index("```bash\n") + len("```bash\n"):section.index("\n```\n")]


def test_the_walkthrough_village_is_not_one_the_demo_takes():
    from infra.seed import SHOWCASE_VILLAGE, WALKTHROUGH_VILLAGE

    block = readme_block()
    assert f"V={WALKTHROUGH_VILLAGE};" in block and WALKTHROUGH_VILLAGE != SHOWCASE_VILLAGE
    assert f"docs/examples/roster_{WALKTHROUGH_VILLAGE}.csv" in block
    assert (ROOT / "docs" / "examples" / f"roster_{WALKTHROUGH_VILLAGE}.csv").exists()


def test_the_readme_walkthrough_runs_as_written(stack_file, api_url, client, restore_clock):
    from datetime import date

    from chalicelib.platform.clock import set_local_business_date

    set_local_business_date(date(2027, 6, 30))  # `village-credit clock set 2027-06-30` before the walk-through
    block = readme_block()
    assert block.startswith("API=http://127.0.0.1:8000;")
    script = "set -eo pipefail\n" + block.replace("API=http://127.0.0.1:8000;", f"API={api_url};", 1)
    # a new user's shell: none of the AWS settings this test process has (the commands must take the stack's)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
           "VILLAGE_CREDIT_STACK_FILE": str(stack_file)}
    # the timeout is a hang guard only: the walk-through's own waits give up after 3 minutes each
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=HANG_GUARD_SECONDS)
    assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    out = done.stdout.splitlines()
    restored = json.loads(out[-2])  # line_restored of the repayment, as `get` prints it: JSON
    assert isinstance(json.loads(out[-3]), dict), out[-6:]  # the first installment: JSON too, not a Python repr
    available = Decimal(out[-1])
    assert Decimal(restored["sub_available"]) == available, out[-6:]

    loan_id = out[-4]  # the farmer's own loans: items.0.loan_id (then the installment, line_restored, available)
    loan = client.as_user("auditor").get(f"/loans/{loan_id}").json()
    assert loan["status"] == "active" and Decimal(loan["principal"]) == Decimal("10000.00")
    assert [r["kind"] for r in loan["repayments"]] == ["prepay_partial"]
    assert Decimal(loan["outstanding_principal"]) == Decimal("6000.00")
    line = client.as_user("auditor").get(f"/lines/{loan['line_id']}").json()
    assert Decimal(line["available"]) == available == Decimal(line["limit"]) - Decimal("6000.00")
    assert loan["start_date"] > "2027-06-30"  # drawn once the lines were valid, past the notice period


def test_the_demo_never_picks_the_walkthrough_village(stack_file, client):
    """Every village of the showcase township has a campaign but the walk-through's: the demo has none left (and
    says so) rather than take it. The village list is the real division list; only the API's answers are made up."""
    from infra.cli_support import CliError
    from infra.demo_cli import Demo
    from infra.seed import WALKTHROUGH_VILLAGE

    class EveryVillageTakenBut:
        def __init__(self, free: str):
            self.free = free

        def call(self, method: str, path: str, user: str | None = None, **kw):
            village = path.split("/")[2]
            return {"items": [] if village == self.free else [{"campaign_id": f"VC-{village}-2026"}]}

    try:
        Demo(EveryVillageTakenBut(WALKTHROUGH_VILLAGE), "pool", out=lambda _: None).pick_village()
    except CliError as exc:
        assert exc.code == "DEMO_NO_VILLAGE_LEFT"
    else:
        raise AssertionError("the demo took the walk-through's village")
    free = "220122102224"  # the same, with another village free: that one is taken (the stub can say yes)
    assert Demo(EveryVillageTakenBut(free), "pool", out=lambda _: None).pick_village() == free
