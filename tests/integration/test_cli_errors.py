"""The console command against a running stack: expected failures are one line ``ERROR <CODE>: <message>`` on
stderr with a non-zero exit (wrong credentials, an API refusal, a campaign re-run with another roster); the clock
commands move the stack's business date."""
from __future__ import annotations

from datetime import date

import pytest

from infra import cli


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    # the stack's API server runs in this process here: its access log lines are not the command's output
    lines = [line for line in captured.err.splitlines() if line.strip() and not line.startswith("127.0.0.1 - - [")]
    assert len(lines) == 1 and "Traceback" not in captured.err + captured.out, lines
    return lines[0]


def test_wrong_credentials_are_one_line(stack_file, capsys):
    assert cli.main(["login", "am.nongan", "--password", "not-the-password"]) == 1
    assert _one_error_line(capsys) == "ERROR NOT_AUTHORIZED: incorrect username or password"
    assert cli.main(["login", "nobody.at.all"]) == 1
    assert _one_error_line(capsys) == "ERROR NOT_AUTHORIZED: incorrect username or password"
    assert cli.main(["login", "am.nongan"]) == 0
    assert capsys.readouterr().out.count(".") == 2  # a JWT


def test_an_api_refusal_is_its_code_and_message(stack_file, capsys, restore_clock):
    # a fixing already in the table with other rates: refused by the command; a date in the past: by the API
    assert cli.main(["lpr", "add", "2026-08-20", "--one-year", "2.00", "--five-year", "3.50"]) == 1
    assert _one_error_line(capsys).startswith("ERROR LPR_FIXING_EXISTS: the table already has the fixing of 2026-08-20")
    assert cli.main(["clock", "set", "2026-08-25"]) == 0
    capsys.readouterr()
    assert cli.main(["lpr", "add", "2026-08-20", "--one-year", "3.00", "--five-year", "3.50"]) == 0
    assert capsys.readouterr().out.startswith("unchanged: the fixing of 2026-08-20 (1Y 3.00 %, 5Y 3.50 %) is already in")
    assert cli.main(["lpr", "add", "2026-08-21", "--one-year", "9.99", "--five-year", "30"]) == 2
    assert _one_error_line(capsys).startswith("ERROR LPR_RATE_INVALID: --five-year '30'")
    assert cli.main(["lpr", "add", "2026-07-20", "--one-year", "3.00", "--five-year", "3.50", "--as", "am.nongan"]) == 1
    assert _one_error_line(capsys) == ("ERROR PERMISSION_DENIED: role account_manager may not parameter:read "
                                       "[GET /parameters/lpr_fixings → 403]")


def test_lpr_add_refuses_a_fixing_dated_after_the_business_date_and_stores_nothing(stack_file, capsys, restore_clock,
                                                                                   client):
    admin = client.as_user("province.admin")

    def versions() -> list[dict]:
        return admin.get("/parameters/lpr_fixings/versions").json()["items"]

    before = versions()
    assert cli.main(["clock", "set", "2026-09-19"]) == 0
    capsys.readouterr()
    # 2026-09-20 is the September publication day by the calendar, one day after the business date
    assert cli.main(["lpr", "add", "2026-09-20", "--one-year", "3.00", "--five-year", "3.50"]) == 2
    assert _one_error_line(capsys) == (
        "ERROR LPR_DATE_IN_FUTURE: DATE 2026-09-20 is after the business date 2026-09-19: a fixing is known only once "
        "it is published; add it on 2026-09-20 or later (local stack: `village-credit clock set 2026-09-20` first)")
    # the business date's own day is not the future: the fixing of 2026-08-20 again, at 2026-08-20, is unchanged
    assert cli.main(["clock", "set", "2026-08-20"]) == 0
    capsys.readouterr()
    assert cli.main(["lpr", "add", "2026-08-20", "--one-year", "3.00", "--five-year", "3.50"]) == 0
    assert capsys.readouterr().out.startswith("unchanged: the fixing of 2026-08-20")
    assert versions() == before


def test_clock_commands_move_the_stacks_business_date(stack_file, capsys, restore_clock, client):
    assert cli.main(["clock", "set", "2027-02-26"]) == 0
    assert "business date 2027-02-26 (pinned" in capsys.readouterr().out
    assert cli.main(["clock", "advance", "3"]) == 0
    assert "business date 2027-03-01 (pinned" in capsys.readouterr().out
    assert client.as_user("auditor").get("/me").headers["X-Business-Date"] == "2027-03-01"
    assert cli.main(["clock", "show"]) == 0
    assert "2027-03-01" in capsys.readouterr().out
    assert cli.main(["clock", "reset"]) == 0
    assert "follows the calendar" in capsys.readouterr().out


def test_a_campaign_rerun_with_another_roster_says_so_imports_nothing_and_fails(stack_file, capsys, client,
                                                                                  restore_clock, tmp_path):
    from infra.synthetic import roster_csv, village_households_in

    village = "220122102215"  # a village of the 哈拉海镇 outlet (am.nongan's) that no other test uses
    from chalicelib.platform.clock import set_local_business_date

    set_local_business_date(date(2026, 12, 7))
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(roster_csv(village_households_in(village, 3, seed=1, today=date(2026, 12, 7))))
    second.write_bytes(roster_csv(village_households_in(village, 4, seed=2, today=date(2026, 12, 7))))
    assert cli.main(["campaign", "run", "--village", village, "--roster", str(first)]) == 0
    out = capsys.readouterr().out
    assert f"campaign VC-{village}-2026" in out and "status completed" in out
    links = [line for line in out.splitlines() if line.startswith("http")]
    assert len(links) == 2 and all(" " not in link for link in links)  # the notice links, whole on their lines
    households = client.as_user("am.nongan").get(f"/villages/{village}/households?limit=100").json()["items"]

    assert cli.main(["campaign", "run", "--village", village, "--roster", str(second)]) == 1
    line = _one_error_line(capsys)
    assert line.startswith(f"ERROR CAMPAIGN_EXISTS: village {village} already has campaign VC-{village}-2026 "
                           "(completed) for period 2026: nothing was imported")
    assert "--period 2026-2" in line
    after = client.as_user("am.nongan").get(f"/villages/{village}/households?limit=100").json()["items"]
    assert len(after) == len(households)

    assert cli.main(["campaign", "run", "--village", village]) == 0  # no roster: shows the campaign that exists
    assert f"already has campaign VC-{village}-2026 for period 2026 (completed): showing it" in capsys.readouterr().out


@pytest.mark.parametrize("village, code", [("999999999999", "VILLAGE_CODE_UNKNOWN"), ("22012210220", "VILLAGE_CODE_FORMAT")])
def test_an_unknown_village_is_one_line(stack_file, capsys, village, code):
    assert cli.main(["campaign", "run", "--village", village]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"ERROR {code}: --village {village}")


def test_clock_advance_moves_back_with_a_negative_number(stack_file, capsys, restore_clock, client):
    assert cli.main(["clock", "set", "2027-03-01"]) == 0
    capsys.readouterr()
    assert cli.main(["clock", "advance", "-3"]) == 0
    assert "business date 2027-02-26 (pinned" in capsys.readouterr().out
    assert client.as_user("auditor").get("/me").headers["X-Business-Date"] == "2027-02-26"


def test_a_failed_campaign_says_why_and_what_to_do_and_the_next_run_restarts_it(stack_file, capsys, client,
                                                                                restore_clock, tmp_path):
    from chalicelib.platform.clock import set_local_business_date
    from infra.synthetic import roster_csv, village_households_in

    village = "220122102212"  # 车站村委会, 哈拉海镇 (am.nongan's outlet): no other test files anything there
    set_local_business_date(date(2026, 12, 7))
    # no roster and nothing filed: the campaign's load step fails (VILLAGE_EMPTY); the command must not hang
    assert cli.main(["campaign", "run", "--village", village]) == 1
    line = _one_error_line(capsys)
    empty = f"ValidationFailed: village {village} has no household that can be rated"
    assert line.startswith(f"ERROR CAMPAIGN_FAILED: campaign VC-{village}-2026 failed: {empty}; "), line
    assert f"village-credit campaign run --village {village} --period 2026 --roster FILE" in line
    assert client.as_user("am.nongan").get(f"/campaigns/VC-{village}-2026").json()["status"] == "failed"

    # the failed campaign holds the village: another period is refused before anything is imported
    roster = tmp_path / "roster.csv"
    roster.write_bytes(roster_csv(village_households_in(village, 3, seed=5, today=date(2026, 12, 7))))
    assert cli.main(["campaign", "run", "--village", village, "--period", "2026-2", "--roster", str(roster)]) == 1
    line = _one_error_line(capsys)
    assert line.startswith(f"ERROR CAMPAIGN_RUNNING: village {village} still has campaign VC-{village}-2026 "
                           f"(period 2026) open: it failed: {empty}") and "--period 2026" in line, line
    assert client.as_user("am.nongan").get(f"/villages/{village}/households?limit=10").json()["items"] == []

    # the step it named: the same command for the failed period with a roster restarts it and completes
    assert cli.main(["campaign", "run", "--village", village, "--period", "2026", "--roster", str(roster)]) == 0
    out = capsys.readouterr().out
    assert f"campaign VC-{village}-2026 (period 2026) failed: {empty}: importing the roster" in out
    assert "(attempt 2)" in out
    c = client.as_user("am.nongan").get(f"/campaigns/VC-{village}-2026").json()
    assert c["status"] == "completed" and c["attempt"] == 2


def test_farmer_add_never_turns_another_login_into_a_farmer(stack_file, capsys):
    from infra.seed import FARMER_DEMO_HOUSEHOLD

    assert cli.main(["farmer", "add", "am.nongan", "--household", FARMER_DEMO_HOUSEHOLD]) == 1
    assert _one_error_line(capsys) == ("ERROR LOGIN_EXISTS: am.nongan is already a login of role account_manager: "
                                       "choose another USERNAME")
    assert cli.main(["farmer", "add", "farmer.demo", "--household", FARMER_DEMO_HOUSEHOLD]) == 0  # its own: unchanged
    assert "farmer.demo: farmer login already there (unchanged) for household" in capsys.readouterr().out
    assert cli.main(["farmer", "add", "Not A Name", "--household", FARMER_DEMO_HOUSEHOLD]) == 2
    assert _one_error_line(capsys).startswith("ERROR USERNAME_FORMAT: USERNAME 'Not A Name'")
