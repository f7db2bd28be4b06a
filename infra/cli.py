"""``village-credit``: the console command for developers and ops.

Commands that talk to the local stack read ``.local-stack.json`` (written by ``make run``). Expected failures
print one line ``ERROR <CODE>: <message>`` on stderr and exit 2 (the command could not start: wrong arguments or
input, no stack) or 1 (it ran and something refused or failed): the rule lives in :mod:`infra.cli_support`.
``--debug`` (anywhere on the command line) shows the traceback instead.
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import typer

app = typer.Typer(help="village-credit: whole-village credit platform tooling", no_args_is_help=True,
                  pretty_exceptions_enable=False)
jobs_app = typer.Typer(help="scheduled batch jobs", no_args_is_help=True)
clock_app = typer.Typer(help="the local stack's business date (local and test stages only)", no_args_is_help=True)
template_app = typer.Typer(help="template.yaml helpers", no_args_is_help=True)
model_app = typer.Typer(help="statistical scorecard", no_args_is_help=True)
farmer_app = typer.Typer(help="farmers' mobile-banking logins in the local user pool (local stack only)",
                         no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(template_app, name="template")
app.add_typer(model_app, name="model")
app.add_typer(clock_app, name="clock")
app.add_typer(farmer_app, name="farmer")

from infra.campaign_cli import campaign_app  # noqa: E402  (whole-village credit, issue 4)

app.add_typer(campaign_app, name="campaign")

from infra.lpr_cli import lpr_app  # noqa: E402

app.add_typer(lpr_app, name="lpr")

from infra.demo_cli import demo as _demo  # noqa: E402

app.command("demo")(_demo)


_DEBUG = False


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help="show the traceback of a failure")) -> None:
    global _DEBUG
    _DEBUG = _DEBUG or debug


def main(argv: list[str] | None = None) -> int:
    """The console script: runs the command; an expected failure becomes one line on stderr and the exit
    code of its kind (:class:`infra.cli_support.CliError` 1, :class:`~infra.cli_support.CannotStart` 2; typer's
    usage errors 2); other exceptions keep their traceback with
    ``--debug`` and are one line (with the hint) without it. Returns the exit code (and exits with it when
    run as the script)."""
    from infra.cli_support import describe

    global _DEBUG
    args = list(sys.argv[1:] if argv is None else argv)
    _DEBUG = "--debug" in args
    args = ["--debug"] + [a for a in args if a != "--debug"] if _DEBUG else args
    try:
        app(args=args, prog_name="village-credit", standalone_mode=False)
        return 0
    except typer.Exit as done:
        return done.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("ERROR INTERRUPTED: stopped\n")
        return 130
    except Exception as exc:
        # a usage error of the click typer runs on (typer may vendor its own click, so not isinstance): its own
        # message and exit code 2
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        if _DEBUG:
            raise
        known = describe(exc)
        if known is None:
            sys.stderr.write(f"ERROR UNEXPECTED: {type(exc).__name__}: {exc} (run again with --debug for the "
                             "traceback)\n")
            return 1
        sys.stderr.write(f"ERROR {known.code}: {known.message}\n")
        return known.exit_code


def _state() -> dict:
    from infra.cli_support import stack_state

    return stack_state()


def _use_stack(state: dict) -> None:
    from infra.cli_support import use_stack

    use_stack(state)


@app.command()
def run() -> None:
    """Start the local stack and the API (what `make run` does)."""
    from infra.local.server import main

    main()


@app.command()
def login(username: str, password: str | None = typer.Option(None, help="default: the demo password")) -> None:
    """Print an ID token for a user of the local stack's user pool."""
    from infra.cli_support import StackApi

    typer.echo(StackApi.of(_state()).token(username, password))


@jobs_app.command("list")
def jobs_list() -> None:
    """The template's scheduled jobs."""
    for s in _state()["schedules"]:
        typer.echo(f"{s['name']:<28} {s['expression']:<28} {s['function_name']}")


@jobs_app.command("run")
def jobs_run(name: str, business_date: str | None = typer.Option(None, help="YYYY-MM-DD; default the stack's "
                                                                              "business date")) -> None:
    """Fire one scheduled job now and print its result."""
    from infra.cli_support import CannotStart, CliError
    from infra.local.stack import schedules_of
    from infra.template import load

    if business_date:
        _date_argument(business_date, "--business-date")
    known = schedules_of(load())  # the template's jobs: a wrong name is refused before the stack is asked
    if not any(name in (s.name, s.function_logical_id) for s in known):
        raise CannotStart("JOB_NOT_FOUND", f"no job {name}: the jobs are {', '.join(s.name for s in known)} "
                                           "(`village-credit jobs list`)")
    from infra.local.scheduler import fire
    from infra.local.stack import LocalStack, Schedule

    state = _state()
    _use_stack(state)
    schedules = [Schedule(**s) for s in state["schedules"]]
    match = [s for s in schedules if s.name == name or s.function_logical_id == name]
    if not match:  # a stack started from an older template.yaml
        raise CliError("JOB_NOT_FOUND", f"the running stack has no job {name}: restart it (make run)")
    stack = LocalStack(endpoint=state["endpoint"], env=state["env"], physical=state["physical"])
    schedule = match[0]
    if business_date:
        schedule.input = {**schedule.input, "business_date": business_date}
    try:
        result = fire(stack, schedule)
    except RuntimeError as exc:
        raise CliError("JOB_FAILED", f"{name} failed: {exc}") from exc
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))


def _date_argument(value: str, name: str) -> date:
    from infra.cli_support import CannotStart

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CannotStart("DATE_INVALID", f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _print_clock(state: dict, action: str = "") -> None:
    pinned = "pinned by the local clock" if state["pinned"] else "follows the calendar (Asia/Shanghai)"
    typer.echo(f"{action}business date {state['business_date']} ({pinned}; calendar date {state['calendar_date']})")


@clock_app.command("show")
def clock_show() -> None:
    """The running stack's business date."""
    from infra.cli_support import StackApi

    _print_clock(StackApi.of(_state()).clock())


@clock_app.command("set")
def clock_set(day: str = typer.Argument(..., metavar="DATE", help="YYYY-MM-DD")) -> None:
    """Pin the running stack's business date (API, tasks and jobs at once; no restart, no data lost).

    A date before business the stack already holds (the start of its latest loan) is set, with a warning."""
    from infra.cli_support import StackApi

    body = {"business_date": _date_argument(day, "DATE").isoformat()}
    state = _state()
    clock = StackApi.of(state).clock("PUT", body)
    _print_clock(clock, "now: ")
    _warn_if_before_business(state, date.fromisoformat(clock["business_date"]))


# ignore_unknown_options: "-3" is read as the argument DAYS, not as an option click does not know
@clock_app.command("advance", context_settings={"ignore_unknown_options": True})
def clock_advance(days: int = typer.Argument(..., help="days to move on; negative moves back, e.g. "
                                                       "`clock advance -3`")) -> None:
    """Move the running stack's business date on by DAYS (negative: back; a date before the start of the stack's
    latest loan is set, with a warning)."""
    from infra.cli_support import StackApi

    state = _state()
    clock = StackApi.of(state).clock("POST", {"advance_days": days})
    _print_clock(clock, "now: ")
    if days < 0:
        _warn_if_before_business(state, date.fromisoformat(clock["business_date"]))


def _warn_if_before_business(state: dict, day: date) -> None:
    """One line on stderr when ``day`` is before the start of the stack's latest active loan: the clock is moved
    all the same (a local stack may go back in time), but that business is dated after the new date."""
    latest = latest_loan_start(state)
    if latest is not None and day < latest[0]:
        typer.echo(f"warning: {day} is before the start of loan {latest[1]} ({latest[0]}), the latest on the stack: "
                   "what it holds is dated after the new business date (schedules, overdue days and jobs will look "
                   "odd until the clock is past it again)", err=True)


def latest_loan_start(state: dict) -> tuple[date, str] | None:
    """``(start_date, loan_id)`` of the active loan of the stack that started last, or None (no active loan)."""
    _use_stack(state)
    from chalicelib.postloan.data import postloan

    latest: tuple[date, str] | None = None
    for shard in postloan.shards():
        cursor = None
        while True:
            items, cursor = postloan.active_loans_page(shard, cursor)
            for loan in items:
                started = (date.fromisoformat(loan["start_date"]), loan["loan_id"])
                latest = started if latest is None or started > latest else latest
            if not cursor:
                break
    return latest


@clock_app.command("reset")
def clock_reset() -> None:
    """Let the running stack's business date follow the calendar again."""
    from infra.cli_support import StackApi

    _print_clock(StackApi.of(_state()).clock("DELETE"), "now: ")


@app.command()
def openapi(write: bool = typer.Option(False, "--write", help="rewrite docs/openapi.json"),
            check: bool = typer.Option(False, "--check", help="say whether docs/openapi.json is current; if not, "
                                                              "what differs (exit 1)")) -> None:
    """Generate the OpenAPI document from the route registry."""
    from infra.openapi_doc import current_text, write_all

    text = current_text()
    if write:
        write_all(text)
        typer.echo("docs/openapi.json written")
    elif check:
        from infra.cli_support import CliError
        from infra.openapi_doc import stale_targets

        stale = stale_targets(text)
        if stale:
            for name, differences in stale.items():
                typer.echo(f"{name} differs from the code: {len(differences)} difference(s)")
                for d in differences[:20]:
                    typer.echo(f"  {d}")
                if len(differences) > 20:
                    typer.echo(f"  … and {len(differences) - 20} more")
            raise CliError("OPENAPI_STALE", f"{', '.join(stale)} stale: run `village-credit openapi --write`")
        typer.echo("docs/openapi.json is up to date (and its copy the API serves)")
    else:
        sys.stdout.write(text)


@template_app.command("routes")
def template_routes(write: bool = typer.Option(False, "--write")) -> None:
    """Regenerate the Api events of every API function from the Chalice routes."""
    from infra import routes

    if write:
        typer.echo("template.yaml updated" if routes.write() else "template.yaml already up to date")
    else:
        from infra.template import TEMPLATE

        sys.stdout.write(routes.render(TEMPLATE.read_text(encoding="utf-8")))


#: The reference data set of the scorecard (UCI German Credit; infra/modeling/data/README.md) and its target column.
REFERENCE_DATA, REFERENCE_TARGET = "infra/modeling/data/germancredit.csv", "creditability"


@model_app.command("train")
def model_train(data: Path = typer.Argument(..., exists=True, dir_okay=False,
                                            help=f"CSV with a header, e.g. {REFERENCE_DATA}"),
                target: str = typer.Option(..., "--target", help="the binary target column (1/0 or good/bad), e.g. "
                                                                 f"{REFERENCE_TARGET} in {REFERENCE_DATA}"),
                out: Path = typer.Option(Path("scorecard.json"), "--out")) -> None:
    """Train a WOE-binned logistic scorecard (needs the `model` extra) and write its points table.

    Refused before training (exit 2): a --target that is not a column of DATA, data the training cannot use (a
    target that is not binary), the model extra not installed (MODEL_EXTRA_MISSING)."""
    from infra.cli_support import CannotStart

    columns = _csv_header(data)
    if target not in columns:
        raise CannotStart("MODEL_TARGET_UNKNOWN", f"--target {target!r} is not a column of {data}; its columns: "
                                                  f"{', '.join(columns[:40])}{' …' if len(columns) > 40 else ''} "
                                                  f"(the target of {REFERENCE_DATA} is {REFERENCE_TARGET})")
    _require_model_extra()
    from infra.modeling.train import train_scorecard

    try:
        result = train_scorecard(data, target)
    except ValueError as exc:  # the data: a target that is not binary or has missing values (train.py's checks)
        raise CannotStart("MODEL_DATA_INVALID", f"{data}: {exc}") from None
    m = result.metrics
    typer.echo(f"AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Gini {m['gini']:.4f}  "
               f"(train n={result.n_train}, test n={result.n_test}, stratified, random_state 42)")
    for v in sorted(result.iv, key=lambda x: -x["iv"]):
        typer.echo(f"  IV {v['iv']:.4f}  {v['name']}")
    out.write_text(json.dumps(result.artifact, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"artifact {result.artifact['version']} written to {out}")


def _csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's first line (UTF-8, a BOM allowed); CannotStart ``MODEL_DATA_INVALID`` when
    it is not a readable CSV."""
    import csv

    from infra.cli_support import CannotStart

    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CannotStart("MODEL_DATA_INVALID", f"{path} is not a UTF-8 CSV file: {exc}") from None


#: What ``model train`` imports from the ``model`` extra (pyproject.toml).
MODEL_EXTRA_MODULES = ("pandas", "sklearn", "optbinning")


def _require_model_extra() -> None:
    """CannotStart ``MODEL_EXTRA_MISSING`` unless the ``model`` extra's packages import."""
    import importlib

    from infra.cli_support import CannotStart

    for name in MODEL_EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise CannotStart("MODEL_EXTRA_MISSING", f"model train needs the model extra ({exc}): run "
                                                     ".venv/bin/pip install -c constraints.txt -e '.[model]' (or "
                                                     "make install-test)") from None


@farmer_app.command("add")
def farmer_add(username: str = typer.Argument(..., help="the login name, e.g. farmer.walk"),
               household: str = typer.Option(..., "--household", help="the household the farmer acts for")) -> None:
    """Create a farmer's login for a household in the local user pool (password: the demo users'), for the
    self-service routes (/me, its lines, drawdowns, loans). Local stack only: on AWS a farmer's login comes from
    mobile-banking enrolment. Running it again for the same household changes nothing."""
    import re

    from infra.cli_support import CannotStart, CliError, StackApi
    from infra.seed import LoginTaken, add_farmer_login

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,63}", username):
        raise CannotStart("USERNAME_FORMAT", f"USERNAME {username!r}: 3 to 64 characters, lower-case letters, digits "
                                             "and . _ - (e.g. farmer.walk)")
    state = _state()
    _use_stack(state)  # the stack's AWS settings (endpoint, region, keys) for the user-pool calls
    api = StackApi.of(state)
    found = api.call("GET", f"/households/{household}", "auditor")  # province-wide read: any household
    try:
        created = add_farmer_login(state["endpoint"], state["env"]["USER_POOL_ID"], username, household,
                                   found["village_code"])
    except LoginTaken as exc:
        raise CliError("LOGIN_EXISTS", f"{exc}: choose another USERNAME") from None
    where = f"household {household} ({found.get('village_name') or found['village_code']}, head " \
            f"{_head_name(found)})"
    typer.echo(f"{username}: farmer login {'created' if created else 'already there (unchanged)'} for {where}; "
               f"password as the demo users', token: village-credit login {username}")


def _head_name(household: dict) -> str:
    head = next((m for m in household.get("members") or [] if m.get("member_id") == household.get("head_member_id")),
                None)
    return (head or {}).get("name") or "-"


@model_app.command("publish")
def model_publish(artifact: Path) -> None:
    """Store a points-table artifact in the local stack (models/<model_id>/<version>.json) for campaigns."""
    from infra.campaign_cli import publish_model

    publish_model(artifact)


if __name__ == "__main__":
    sys.exit(main())
