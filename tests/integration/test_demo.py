"""``village-credit demo`` on the stack: the main job end to end, twice (the second time after the clock is set to
2027-06-30, in another village), each ending with a disbursed and partly repaid loan and the line restored; the
command exits 0 and prints every step's ids and links on lines of their own."""
from __future__ import annotations

from datetime import date
from decimal import Decimal


def _printed(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_the_demo_twice_ends_with_repaid_loans(client, stack_file, restore_clock, capsys):
    from infra import cli

    assert cli.main(["clock", "set", "2026-12-07"]) == 0  # a fixed day: the test never depends on today
    assert cli.main(["demo"]) == 0
    first = _printed(capsys)
    assert cli.main(["clock", "set", "2027-06-30"]) == 0
    assert cli.main(["demo"]) == 0
    second = _printed(capsys)

    runs = []
    for out in (first, second):
        done = next(line for line in out if line.startswith("done: village "))
        village, loan_id = done.split()[2].rstrip(","), done.split()[4]
        runs.append((village, loan_id, out))
    assert runs[0][0] != runs[1][0], "the second run takes another village"
    assert "2027-06-30" in "\n".join(second) and any("business date" in line and "2027-06-30 →" in line
                                                     for line in second)

    for village, loan_id, out in runs:
        loan = client.as_user("auditor").get(f"/loans/{loan_id}")
        assert loan.status_code == 200, loan.text
        loan = loan.json()
        assert loan["status"] == "active" and len(loan["repayments"]) == 1
        repaid = loan["repayments"][0]
        assert repaid["kind"] == "prepay_partial"
        assert Decimal(loan["outstanding_principal"]) == Decimal(loan["principal"]) - Decimal(
            repaid["applied"]["principal"]) > 0
        drawdown = client.as_user("auditor").get(f"/drawdowns/{loan['drawdown_id']}").json()
        assert drawdown["status"] == "DISBURSED" and drawdown["channel"] == "app"  # the farmer's own, face-verified
        # the revolving line gives back what was repaid: available = limit - what is still owed on it
        line = client.as_user("auditor").get(f"/lines/{loan['line_id']}").json()
        assert Decimal(line["available"]) == Decimal(line["limit"]) - Decimal(loan["outstanding_principal"])
        campaign_line = next(line for line in out if line.strip().startswith("campaign:"))
        campaign_id = campaign_line.split()[1]
        c = client.as_user("auditor").get(f"/campaigns/{campaign_id}").json()
        assert c["village_code"] == village and c["status"] == "completed" and c["confirmed_by"]
        assert c["started_by"] != c["confirmed_by"]  # separation of duties
        # every link on a line of its own, unbroken
        links = [line.strip() for line in out if line.strip().startswith("http")]
        assert any(link.endswith(f"/loans/{loan_id}") for link in links)
        assert any(".pdf" in link or "format" in link or "notice" in link for link in links)
        assert all(" " not in link for link in links)

    later = date.fromisoformat(next(line for line in second if "business date" in line and "→" in line)
                               .split("→")[1].split()[0])
    assert later > date(2027, 6, 30)
