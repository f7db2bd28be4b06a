"""The console command: an expected failure is one line ``ERROR <CODE>: <message>`` on stderr and a non-zero exit;
the traceback only with ``--debug``; bad input is refused before the stack is touched."""
from __future__ import annotations

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
