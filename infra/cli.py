"""``village-credit``: the console command for developers and ops.

Commands that talk to the local stack read ``.local-stack.json`` (written by ``make run``). Expected failures
print one line ``ERROR <CODE>: <message>`` on stderr and exit non-zero (:mod:`infra.cli_support`);
``--debug`` (anywhere on the command line) shows the traceback instead.
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import typer

from infra.template import ROOT

app = typer.Typer(help="village-credit: whole-village credit platform tooling", no_args_is_help=True,
                  pretty_exceptions_enable=False)
jobs_app = typer.Typer(help="scheduled batch jobs", no_args_is_help=True)
clock_app = typer.Typer(help="the local stack's business date (local and test stages only)", no_args_is_help=True)
template_app = typer.Typer(help="template.yaml helpers", no_args_is_help=True)
model_app = typer.Typer(help="statistical scorecard", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(template_app, name="template")
app.add_typer(model_app, name="model")
app.add_typer(clock_app, name="clock")

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
    code of :class:`infra.cli_support.CliError` (1 or 2); other exceptions keep their traceback with
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
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()  # a usage error (typer's click): its own message and exit code 2
            return exc.exit_code
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
def jobs_run(name: str, business_date: str | None = typer.Option(None, help="YYYY-MM-DD; default today")) -> None:
    """Fire one scheduled job now and print its result."""
    from infra.cli_support import CliError

    if business_date:
        _date_argument(business_date, "--business-date")
    from infra.local.scheduler import fire
    from infra.local.stack import LocalStack, Schedule

    state = _state()
    _use_stack(state)
    schedules = [Schedule(**s) for s in state["schedules"]]
    match = [s for s in schedules if s.name == name or s.function_logical_id == name]
    if not match:
        raise CliError("JOB_NOT_FOUND", f"no job {name}; see `village-credit jobs list`", 2)
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
    from infra.cli_support import CliError

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError("DATE_INVALID", f"{name} {value!r} is not a date (YYYY-MM-DD)", 2) from None


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
    """Pin the running stack's business date (API, tasks and jobs at once; no restart, no data lost)."""
    from infra.cli_support import StackApi

    body = {"business_date": _date_argument(day, "DATE").isoformat()}
    _print_clock(StackApi.of(_state()).clock("PUT", body), "now: ")


@clock_app.command("advance")
def clock_advance(days: int = typer.Argument(..., help="days to move on (negative: back)")) -> None:
    """Move the running stack's business date on by DAYS."""
    from infra.cli_support import StackApi

    _print_clock(StackApi.of(_state()).clock("POST", {"advance_days": days}), "now: ")


@clock_app.command("reset")
def clock_reset() -> None:
    """Let the running stack's business date follow the calendar again."""
    from infra.cli_support import StackApi

    _print_clock(StackApi.of(_state()).clock("DELETE"), "now: ")


@app.command()
def openapi(write: bool = typer.Option(False, "--write", help="rewrite docs/openapi.json"),
            check: bool = typer.Option(False, "--check", help="exit 1 if docs/openapi.json is stale")) -> None:
    """Generate the OpenAPI document from the route registry."""
    from infra.openapi_doc import current_text, write_all

    text = current_text()
    if write:
        write_all(text)
        typer.echo("docs/openapi.json written")
    elif check:
        stale = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8") != text
        if stale:
            typer.echo("docs/openapi.json is stale: run `village-credit openapi --write`", err=True)
            raise typer.Exit(1)
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


@model_app.command("train")
def model_train(data: Path, target: str = typer.Option(..., "--target"),
                out: Path = typer.Option(Path("scorecard.json"), "--out")) -> None:
    """Train a WOE-binned logistic scorecard (needs the `model` extra) and write its points table."""
    try:
        from infra.modeling.train import train_scorecard
    except ImportError:
        typer.echo("install the model extra first: .venv/bin/pip install -e '.[model]'", err=True)
        raise typer.Exit(2) from None
    result = train_scorecard(data, target)
    m = result.metrics
    typer.echo(f"AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Gini {m['gini']:.4f}  "
               f"(train n={result.n_train}, test n={result.n_test}, stratified, random_state 42)")
    for v in sorted(result.iv, key=lambda x: -x["iv"]):
        typer.echo(f"  IV {v['iv']:.4f}  {v['name']}")
    out.write_text(json.dumps(result.artifact, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"artifact {result.artifact['version']} written to {out}")


@model_app.command("publish")
def model_publish(artifact: Path) -> None:
    """Store a points-table artifact in the local stack (models/<model_id>/<version>.json) for campaigns."""
    from infra.campaign_cli import publish_model

    publish_model(artifact)


if __name__ == "__main__":
    sys.exit(main())
