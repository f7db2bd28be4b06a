"""The console command: an expected failure is one line ``ERROR <CODE>: <message>`` on stderr and a non-zero exit;
the traceback only with ``--debug``; bad input is refused before the stack is touched."""
from __future__ import annotations

from datetime import date

import pytest

from infra import cli
from infra.cli_support import CliError


@pytest.fixture
def no_stack(monkeypatch, tmp_path):
    """No ``.local-stack.json``: the stack is not running."""
    import infra.local.server as server

    monkeypatch.setattr(server, "STATE_FILE", tmp_path / ".local-stack.json")


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    return lines[0]


def test_jobs_run_refuses_a_business_date_that_is_not_a_date(capsys, no_stack):
    assert cli.main(["jobs", "run", "LoanClassificationDaily", "--business-date", "2027-13-01"]) == 2
    assert _one_error_line(capsys) == "ERROR DATE_INVALID: --business-date '2027-13-01' is not a date (YYYY-MM-DD)"


@pytest.mark.parametrize("args", [["clock", "show"], ["clock", "advance", "8"], ["login", "am.nongan"],
                                  ["jobs", "list"], ["demo"], ["lpr", "add", "2026-12-21", "--one-year", "3.00",
                                                               "--five-year", "3.50"]])
def test_without_a_running_stack_each_command_says_how_to_start_it(capsys, no_stack, args):
    assert cli.main(args) == 2
    line = _one_error_line(capsys)
    assert line.startswith("ERROR STACK_NOT_RUNNING: the local stack is not running") and "make run" in line


def test_clock_set_refuses_a_date_that_is_not_one_before_touching_the_stack(capsys, no_stack):
    assert cli.main(["clock", "set", "2027-02-30"]) == 2
    assert _one_error_line(capsys) == "ERROR DATE_INVALID: DATE '2027-02-30' is not a date (YYYY-MM-DD)"


@pytest.mark.parametrize("where", ["first", "last"])
def test_debug_shows_the_traceback_wherever_it_is_given(no_stack, where):
    args = ["clock", "show"]
    args = ["--debug", *args] if where == "first" else [*args, "--debug"]
    with pytest.raises(CliError) as err:
        cli.main(args)
    assert err.value.code == "STACK_NOT_RUNNING"


def test_an_unexpected_error_is_one_line_with_the_hint(capsys, monkeypatch, no_stack):
    def broken() -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_state", broken)
    assert cli.main(["clock", "show"]) == 1
    assert _one_error_line(capsys) == ("ERROR UNEXPECTED: ZeroDivisionError: division by zero (run again with --debug "
                                       "for the traceback)")


def test_usage_errors_keep_clicks_message_and_exit_2(capsys):
    assert cli.main(["clock", "advance", "eight"]) == 2
    assert "Invalid value for 'days'" in capsys.readouterr().err


# ---------------------------------------------------------------- the exit-code rule (README "Console command"):
# 0 done, 1 the command ran and something refused or failed, 2 it could not start (arguments, input, no stack)

def test_the_kind_of_error_carries_the_exit_code():
    from infra.cli_support import CannotStart

    assert CliError("X", "m").exit_code == 1 and CannotStart("X", "m").exit_code == 2
    assert isinstance(CannotStart("X", "m"), CliError)  # one kind of line for both


def test_a_missing_argument_is_a_usage_error_exit_2(capsys):
    assert cli.main(["lpr", "add"]) == 2
    assert "Missing argument 'DATE'" in capsys.readouterr().err


def test_an_unknown_job_is_refused_before_the_stack_is_asked(capsys, no_stack):
    assert cli.main(["jobs", "run", "NoSuchJob"]) == 2  # no stack is running: the name was checked first
    line = _one_error_line(capsys)
    assert line.startswith("ERROR JOB_NOT_FOUND: no job NoSuchJob: the jobs are ") and "LoanClassificationDaily" in line


def test_clock_advance_takes_a_negative_number_of_days(capsys, no_stack):
    # "-3" is DAYS, not an unknown option: the command gets as far as asking for the stack
    assert cli.main(["clock", "advance", "-3"]) == 2
    assert _one_error_line(capsys).startswith("ERROR STACK_NOT_RUNNING:")


def test_lpr_add_refuses_a_rate_that_is_not_one_with_exit_2(capsys, no_stack):
    assert cli.main(["lpr", "add", "2026-12-21", "--one-year", "3,00", "--five-year", "3.50"]) == 2
    assert _one_error_line(capsys) == "ERROR LPR_RATE_INVALID: --one-year '3,00' is not a rate in percent (e.g. 3.00)"


def test_lpr_add_refuses_a_day_that_is_not_the_publication_day(capsys, no_stack):
    # the fixing of 2026-12 is due Monday 2026-12-21 (the 20th is a Sunday): found from the calendar, offline
    assert cli.main(["lpr", "add", "2026-12-20", "--one-year", "3.00", "--five-year", "3.50"]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("ERROR LPR_DATE_NOT_PUBLICATION_DAY: DATE 2026-12-20: the fixing of 2026-12 is due on "
                           "2026-12-21") and "--force" in line


def test_with_fixing_is_idempotent_for_the_same_rates_and_refuses_other_rates():
    from infra.lpr_cli import with_fixing

    doc = {"fixings": [["2026-11-20", "3.00", "3.50"]]}
    assert with_fixing(doc, date(2026, 11, 20), "3", "3.5") is doc  # 3 = 3.00: the same fixing, nothing to store
    with pytest.raises(CliError) as err:
        with_fixing(doc, date(2026, 11, 20), "3.10", "3.50")
    assert err.value.code == "LPR_FIXING_EXISTS" and err.value.exit_code == 1
    added = with_fixing(doc, date(2026, 12, 21), "3.00", "3.50")
    assert added["fixings"] == [["2026-11-20", "3.00", "3.50"], ["2026-12-21", "3.00", "3.50"]]


@pytest.fixture
def openapi_copies(monkeypatch, tmp_path):
    """The two committed copies of the OpenAPI document, as real files in a temporary directory."""
    import infra.openapi_doc as doc

    targets = (tmp_path / "docs" / "openapi.json", tmp_path / "chalicelib" / "reference" / "openapi.json")
    text = doc.current_text()
    for t in targets:
        t.parent.mkdir(parents=True)
        t.write_text(text, encoding="utf-8")
    monkeypatch.setattr(doc, "TARGETS", targets)
    monkeypatch.setattr(doc, "ROOT", tmp_path)
    return targets


def test_openapi_check_says_up_to_date(capsys, openapi_copies):
    assert cli.main(["openapi", "--check"]) == 0
    assert capsys.readouterr().out.startswith("docs/openapi.json is up to date")


def test_openapi_check_prints_what_differs_and_exits_1(capsys, openapi_copies):
    import json

    docs = openapi_copies[0]
    stale = json.loads(docs.read_text(encoding="utf-8"))
    del stale["paths"]["/me"]
    stale["info"]["title"] = "something else"
    stale["paths"]["/gone"] = {}
    docs.write_text(json.dumps(stale), encoding="utf-8")
    assert cli.main(["openapi", "--check"]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == ("ERROR OPENAPI_STALE: docs/openapi.json stale: run "
                                    "`village-credit openapi --write`")
    out = captured.out.splitlines()
    assert out[0] == "docs/openapi.json differs from the code: 3 difference(s)"
    assert set(out[1:]) == {"  /info/title changed", "  /paths/~1me added", "  /paths/~1gone removed"}


def test_model_train_without_the_model_extra_says_how_to_install_it(capsys, monkeypatch, tmp_path):
    import sys

    data = tmp_path / "data.csv"
    data.write_text("x,target\n1,good\n2,bad\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "optbinning", None)  # `import optbinning` raises ImportError
    assert cli.main(["model", "train", str(data), "--target", "target", "--out", str(tmp_path / "o.json")]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("ERROR MODEL_EXTRA_MISSING: model train needs the model extra") and "'.[model]'" in line


@pytest.mark.parametrize("village", ["220122102202", "220122102225"])
def test_the_readme_says_how_many_households_each_example_roster_has(village):
    import csv
    import re

    from infra.demo_cli import roster_households
    from infra.template import ROOT

    path = ROOT / "docs" / "examples" / f"roster_{village}.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        numbers = {row["户编号"] for row in csv.DictReader(f)}  # one 户编号 per household, on each member's row
    said = re.search(rf"`docs/examples/roster_{village}\.csv`, (\d+)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert said and int(said.group(1)) == len(numbers) == roster_households(path.read_bytes())


def test_campaign_run_names_the_failed_credit_village_criteria_as_codes():
    from infra.campaign_cli import credit_village_verdict

    assert credit_village_verdict({"is_credit_village": True, "failed": []}) == "yes"
    assert credit_village_verdict({"is_credit_village": False, "failed": ["CREDIT_HOUSEHOLD_RATIO_LOW"]}) == (
        "no: CREDIT_HOUSEHOLD_RATIO_LOW")
    assert credit_village_verdict({"is_credit_village": False, "failed": [
        "CREDIT_HOUSEHOLD_RATIO_LOW", "NPL_RATIO_TOO_HIGH"]}) == "no: CREDIT_HOUSEHOLD_RATIO_LOW, NPL_RATIO_TOO_HIGH"
    assert credit_village_verdict({}) == "no"


def test_lpr_status_names_the_carried_forward_rows_that_make_the_table_current():
    from chalicelib.platform import parameters
    from infra.lpr_cli import carried_forward, status_lines, with_fixing

    shipped = parameters.default_document("lpr_fixings")  # ends with the fixing of 2026-08-20
    assert status_lines(shipped, 1, date(2026, 8, 25), 10)[1:] == ["current: no fixing is missing"]
    # demo-fill on 2026-12-08: the publication days since are 2026-09-20 (a working Sunday in the holiday
    # calendar), Tuesday 2026-10-20 and Friday 2026-11-20
    filled, added = carried_forward(shipped, date(2026, 12, 8))
    assert added == ["2026-09-20", "2026-10-20", "2026-11-20"]
    note = "; demo data from `lpr demo-fill`: `lpr add` each published fixing to replace its row)"
    assert status_lines(filled, 2, date(2026, 12, 8), 10) == [
        "lpr_fixings version 2: last fixing 2026-11-20, business date 2026-12-08",
        "current: no fixing is missing, counting the carried-forward rows",
        "carried forward, NOT published rates: 3 rows (2026-09-20, 2026-10-20, 2026-11-20" + note]
    # the published fixing of 2026-11-20 replaces its row; on 2026-12-22 December's is missing as well
    published = with_fixing(filled, date(2026, 11, 20), "3.00", "3.50")
    lines = status_lines(published, 3, date(2026, 12, 22), 10)
    assert lines[1].startswith("missing: 2026-12-21 (overdue since 2026-12-22)")
    assert lines[2] == "carried forward, NOT published rates: 2 rows (2026-09-20, 2026-10-20" + note
