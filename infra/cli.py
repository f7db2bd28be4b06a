"""``village-credit``: the console command for developers and ops.

Commands that talk to the local stack read ``.local-stack.json`` (written by ``make run``).
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer

from infra.template import ROOT

app = typer.Typer(help="village-credit: whole-village credit platform tooling", no_args_is_help=True)
jobs_app = typer.Typer(help="scheduled batch jobs", no_args_is_help=True)
template_app = typer.Typer(help="template.yaml helpers", no_args_is_help=True)
model_app = typer.Typer(help="statistical scorecard", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(template_app, name="template")
app.add_typer(model_app, name="model")

from infra.campaign_cli import campaign_app  # noqa: E402  (whole-village credit, issue 4)

app.add_typer(campaign_app, name="campaign")


def _state() -> dict:
    from infra.local.server import STATE_FILE

    if not STATE_FILE.exists():
        typer.echo("the local stack is not running: start it with `make run`", err=True)
        raise typer.Exit(2)
    return json.loads(STATE_FILE.read_text())


def _use_stack(state: dict) -> None:
    import os

    os.environ.update(state["env"])


@app.command()
def run() -> None:
    """Start the local stack and the API (what `make run` does)."""
    from infra.local.server import main

    main()


@app.command()
def login(username: str, password: Optional[str] = typer.Option(None, help="default: the demo password")) -> None:
    """Print an ID token for a user of the local stack's user pool."""
    from infra.seed import DEMO_PASSWORD
    from infra.seed import login as do_login

    state = _state()
    _use_stack(state)
    typer.echo(do_login(state["endpoint"], state["env"]["USER_POOL_CLIENT_ID"], username, password or DEMO_PASSWORD))


@jobs_app.command("list")
def jobs_list() -> None:
    """The template's scheduled jobs."""
    for s in _state()["schedules"]:
        typer.echo(f"{s['name']:<28} {s['expression']:<28} {s['function_name']}")


@jobs_app.command("run")
def jobs_run(name: str, business_date: Optional[str] = typer.Option(None, help="YYYY-MM-DD; default today")) -> None:
    """Fire one scheduled job now and print its result."""
    if business_date:
        try:
            date.fromisoformat(business_date)
        except ValueError:
            typer.echo(f"--business-date {business_date!r} is not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(2)
    from infra.local.scheduler import fire
    from infra.local.stack import LocalStack, Schedule

    state = _state()
    _use_stack(state)
    schedules = [Schedule(**s) for s in state["schedules"]]
    match = [s for s in schedules if s.name == name or s.function_logical_id == name]
    if not match:
        typer.echo(f"no job {name}; see `village-credit jobs list`", err=True)
        raise typer.Exit(2)
    stack = LocalStack(endpoint=state["endpoint"], env=state["env"], physical=state["physical"])
    schedule = match[0]
    if business_date:
        schedule.input = {**schedule.input, "business_date": business_date}
    try:
        result = fire(stack, schedule)
    except RuntimeError as exc:
        typer.echo(f"{name} failed: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))


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
        raise typer.Exit(2)
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
    app()
