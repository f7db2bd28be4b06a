"""The console command refuses what it cannot use before it touches the local stack."""
from __future__ import annotations

from typer.testing import CliRunner

from infra.cli import app


def test_jobs_run_refuses_a_business_date_that_is_not_a_date():
    result = CliRunner().invoke(app, ["jobs", "run", "LoanClassificationDaily", "--business-date", "2027-13-01"])
    assert result.exit_code == 2
    assert "--business-date '2027-13-01' is not a date (YYYY-MM-DD)" in result.output
