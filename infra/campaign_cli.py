"""``village-credit campaign ...``: the whole-village credit job against the running local stack.

``campaign run --village 220122102202 --roster docs/examples/roster_220122102202.csv`` imports the
roster (in-process, as the account manager), submits the imported household files, starts the
campaign through the API, shows its progress, confirms as the institution once the public notice is
posted, waits for activation and prints a summary. ``campaign roster`` writes a synthetic roster
(made-up people with well-formed ID numbers) of any size for demos and benchmarks.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer

campaign_app = typer.Typer(help="whole-village credit campaigns (整村授信)", no_args_is_help=True)


def _stack() -> dict[str, Any]:
    from infra.cli_support import stack_state, use_stack

    state = stack_state()
    use_stack(state)
    return state


def _Api(state: dict[str, Any]) -> Any:
    from infra.cli_support import StackApi

    return StackApi.of(state)


def _principal(api: Any, user: str):
    from chalicelib import routes
    from chalicelib.platform.authn import principal_from_claims, verify_token

    routes.wire()
    return principal_from_claims(verify_token(f"Bearer {api.token(user)}"))


@campaign_app.command("run")
def run(village: str = typer.Option(..., "--village", help="12-digit village code (行政区划代码)"),
        roster: Path | None = typer.Option(None, "--roster", exists=True, dir_okay=False,
                                              help="roster file (CSV or XLSX); omit to rate the households filed"),
        period: str | None = typer.Option(None, "--period", help="campaign period (default: business year)"),
        manager: str = typer.Option("am.nongan", "--as", help="account manager who imports and starts"),
        confirmer: str = typer.Option("admin.nongan", "--confirm-as", help="institution user who confirms"),
        timeout: float = typer.Option(600, help="seconds to wait for each phase")) -> None:
    """Import, rate, post the notice, confirm and activate a village's credit lines; print a summary.

    A village has one campaign per period and one open campaign at a time. When the period's campaign exists and
    did not fail, the command shows it (no roster given) or refuses (a roster given: CAMPAIGN_EXISTS, exit 1; rate it
    in another period with --period). When it failed, the command imports the roster (if given) and restarts it,
    and says so. When another period's campaign of the village is still open (a failed one included), it refuses
    (CAMPAIGN_RUNNING, exit 1). Every refusal comes before anything is imported. A run that ends without completing
    names the campaign's error."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from infra.cli_support import CliError, village_argument

    village_argument(village)
    console = Console(soft_wrap=True)  # text is never cut into lines at the terminal width (links stay whole)
    state = _stack()
    api = _Api(state)
    wanted = period or str(api.business_date().year)
    campaigns = api.call("GET", f"/villages/{village}/campaigns", manager)["items"]
    existing = next((c for c in campaigns if c["period"] == wanted), None)
    if existing and existing["status"] != "failed":
        if roster is not None:
            raise CliError("CAMPAIGN_EXISTS", f"village {village} already has campaign {existing['campaign_id']} "
                                              f"({existing['status']}) for period {wanted}: nothing was imported. To "
                                              f"rate this roster, run it for another period, e.g. --period {wanted}-2")
        typer.echo(f"village {village} already has campaign {existing['campaign_id']} for period {wanted} "
                   f"({existing['status']}): showing it (nothing was started)")
        c = api.call("GET", f"/campaigns/{existing['campaign_id']}", manager)
        _summary(console, api, manager, c, 0.0)
        if c["status"] != "completed":
            raise CliError("CAMPAIGN_NOT_COMPLETED", f"campaign {c['campaign_id']} is {c['status']}"
                                                     f"{_cause(c)}")
        return
    _refuse_what_the_api_would(api, village, wanted, campaigns, manager, confirmer, roster is not None)
    if existing:  # failed: POST /campaigns starts it again (attempt + 1), over what the failed run wrote
        failed = api.call("GET", f"/campaigns/{existing['campaign_id']}", manager)
        console.print(f"campaign {failed['campaign_id']} (period {wanted}) failed{_cause(failed)}: "
                      + ("importing the roster and restarting it" if roster is not None else
                         "restarting it with the households filed")
                      + f" (attempt {int(failed.get('attempt') or 1) + 1})")
    started = time.monotonic()
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        if roster is not None:
            _import(api, manager, village, roster, bar)
        body: dict[str, Any] = {"village_code": village}
        if period:
            body["period"] = period
        c = api.call("POST", "/campaigns", manager, json=body)
        cid = c["campaign_id"]
        rating = bar.add_task("rating households", total=max(c.get("total") or 1, 1))
        deadline = time.monotonic() + timeout
        while c["status"] == "running":
            if time.monotonic() > deadline:
                raise CliError("CAMPAIGN_TIMEOUT", f"campaign {cid} still running after {timeout:.0f}s")
            time.sleep(0.5)
            c = api.call("GET", f"/campaigns/{cid}", manager)
            bar.update(rating, total=max(c["total"], 1), completed=c["rated"] + c["failed"])
        bar.update(rating, completed=max(c["total"], 1))
        if c["status"] == "awaiting_confirmation":
            task = bar.add_task(f"confirm as {confirmer}", total=1)
            api.call("POST", f"/campaigns/{cid}/confirm", confirmer,
                     json={"comment": "公示期满，经审议无异议 (confirmed from the console)"})
            bar.update(task, completed=1)
            act = bar.add_task("activating lines", total=1)
            deadline = time.monotonic() + timeout
            while c["status"] in ("awaiting_confirmation", "activating"):
                if time.monotonic() > deadline:
                    raise CliError("CAMPAIGN_TIMEOUT", f"campaign {cid} not activated after {timeout:.0f}s")
                time.sleep(0.5)
                c = api.call("GET", f"/campaigns/{cid}", manager)
            bar.update(act, completed=1)
    _summary(console, api, manager, c, time.monotonic() - started)
    if c["status"] == "failed":
        raise CliError("CAMPAIGN_FAILED", f"campaign {cid} failed{_cause(c)}; to restart it, fix the cause and run "
                                          f"`village-credit campaign run --village {village} --period {c['period']}"
                                          " --roster FILE` (or without --roster when the households are filed)")
    if c["status"] != "completed":
        raise CliError("CAMPAIGN_NOT_COMPLETED", f"campaign {cid} ended {c['status']}{_cause(c)}")


def _cause(campaign: dict[str, Any]) -> str:
    """": <Error>: <Cause>" of a campaign's ``error`` (what made it fail, as the API has it), or ""."""
    error = campaign.get("error") or {}
    if not error:
        return ""
    parts = [str(error.get(k)) for k in ("Error", "Cause") if error.get(k)]
    return ": " + ": ".join(parts) if parts else f": {error}"


def _refuse_what_the_api_would(api: Any, village: str, period: str, campaigns: list[dict[str, Any]], manager: str,
                               confirmer: str, importing: bool) -> None:
    """Raise, before anything is imported, the refusal ``POST /campaigns`` would answer: another period's campaign of
    the village still open (a failed one holds the village too: CAMPAIGN_RUNNING), or a residents' committee the
    ``village_campaign`` parameter does not open to campaigns (VILLAGE_IS_RESIDENTS_COMMITTEE)."""
    from chalicelib.rating.domain.village_credit import CAMPAIGN_CLOSED_STATUSES
    from infra.cli_support import ApiError, CliError

    nothing = "nothing was imported" if importing else "nothing was started"
    other = next((c for c in campaigns if c["period"] != period and c["status"] not in CAMPAIGN_CLOSED_STATUSES), None)
    if other is not None:
        if other["status"] == "failed":
            full = api.call("GET", f"/campaigns/{other['campaign_id']}", manager)
            hint = (f"it failed{_cause(full)}; a village has one open campaign, and a failed one is restarted: run "
                    f"this command with --period {other['period']}")
        else:
            hint = f"it is {other['status']}: a village has one open campaign; finish that one first"
        raise CliError("CAMPAIGN_RUNNING", f"village {village} still has campaign {other['campaign_id']} (period "
                                           f"{other['period']}) open: {hint}; {nothing}")
    from chalicelib.reference import divisions

    if divisions.is_urban_unit(village):
        from chalicelib.platform.errors import DomainError
        from chalicelib.rating.domain.village_credit import check_campaign_unit

        try:
            doc = api.call("GET", "/parameters/village_campaign", confirmer)["value"]
        except ApiError:  # the confirmer may not read parameters: the API will say it
            return
        try:
            check_campaign_unit(village, f"JL-{village[:6]}", doc)  # the local stack's institutions: JL-<county>
        except DomainError as exc:
            raise CliError(exc.code, f"{exc}; {nothing}") from None


def _import(api: Any, manager: str, village: str, roster: Path, bar: Any) -> None:
    from chalicelib.customers.service import households
    from chalicelib.customers.service.roster_import import import_roster

    principal = _principal(api, manager)
    task = bar.add_task("importing roster", total=None)

    def progress(done: int, total: int, counts: dict[str, int]) -> None:
        bar.update(task, total=total, completed=done)

    report = import_roster(principal, village, roster.read_bytes(), roster.name, progress=progress)
    bar.update(task, total=report["households_total"], completed=report["households_total"])
    drafts = []
    for h in report["households"]:
        if h.get("household_id") and h["outcome"] in ("created", "updated", "unchanged"):
            drafts.append(h["household_id"])
    submit = bar.add_task("submitting household files", total=max(len(drafts), 1))
    for n, hid in enumerate(drafts, 1):
        item = households.get_unscoped(hid)
        if item and item["status"] == "draft":
            households.set_status(principal, hid, "submitted", expected_version=item["version"])
        bar.update(submit, completed=n)
    counts = report["counts"]
    bar.console.print(f"roster {roster.name}: {report['households_total']} households "
                      f"(created {counts['created']}, updated {counts['updated']}, unchanged {counts['unchanged']}, "
                      f"invalid {counts['invalid']}, conflict {counts['conflict']}); "
                      f"{counts['rows_read']} rows: people written {counts['members_created'] + counts['members_updated']}, "
                      f"unchanged {counts['members_unchanged']}, refused "
                      f"{counts['members_invalid'] + counts['members_conflict'] + counts['rows_unassigned']}")
    for e in report["errors"][:10]:
        bar.console.print(f"  [yellow]row {e['row']} {e['field']}: {e['code']}[/yellow] {e['message']}")


def _summary(console: Any, api: Any, user: str, c: dict[str, Any], seconds: float) -> None:
    from decimal import Decimal

    from rich.table import Table

    console.print(f"\n[bold]{c.get('county_name', '')}{c.get('township_name', '')}{c.get('village_name', '')}"
                  f"[/bold] ({c['village_code']})  campaign {c['campaign_id']}  status [bold]{c['status']}[/bold]  "
                  f"{seconds:.1f}s")
    ratings = api.call("GET", f"/campaigns/{c['campaign_id']}/ratings?limit=500", user)["items"]
    grades = Table(title="ratings and proposed limits (元)")
    for col in ("grade", "households", "limit total", "average limit"):
        grades.add_column(col, justify="right")
    for g in ("AAA", "AA", "A", "NONE"):
        rs = [r for r in ratings if r["grade"] == g and r["status"] != "withdrawn"]
        total = sum((Decimal(r.get("proposed_limit") or 0) for r in rs), Decimal(0))
        grades.add_row(g, str(len(rs)), f"{total:,.0f}", f"{(total / len(rs)):,.0f}" if rs and total else "-")
    withdrawn = [r for r in ratings if r["status"] == "withdrawn"]
    grades.add_row("withdrawn", str(len(withdrawn)), "-", "-")
    console.print(grades)
    ev = c.get("evaluation") or {}
    facts = ev.get("facts") or {}
    table = Table(title="village evaluation (信用村评定)")
    table.add_column("criterion")
    table.add_column("value", justify="right")
    table.add_row("households (filed, incl. drafts)", str(facts.get("household_count", "-")))
    table.add_row("credit households", str(facts.get("credit_household_count", "-")))
    table.add_row("credit household ratio", _pct(ev.get("credit_household_ratio")))
    table.add_row("borrowers without arrears", _pct(ev.get("borrowers_without_arrears_ratio")))
    table.add_row("NPL ratio", _pct(ev.get("npl_ratio")))
    table.add_row("credit village (信用村)", credit_village_verdict(ev))
    town = ev.get("township") or {}
    if town:
        table.add_row("credit villages in township", f"{town['credit_village_count']}/{town['village_count']}")
    console.print(table)
    console.print(f"lines active: {c.get('activated', 0)} (total {Decimal(c.get('active_limit_total') or 0):,.0f} 元, "
                  f"valid from {c.get('lines_valid_from', '-')}), withdrawn: {c.get('withdrawn', 0)}, "
                  f"households failed: {c['failed']}, skipped (draft files): {c['skipped']}")
    for line in _credit_households_without_line(api, user, ratings):
        console.print(line, soft_wrap=True)
    for f in c.get("failures", [])[:10]:
        console.print(f"  [yellow]{f['household_id']}: {f['code']}[/yellow] {f.get('message', '')}")
    if c.get("notice"):
        for fmt in ("pdf", "csv"):
            link = api.call("GET", f"/campaigns/{c['campaign_id']}/notice?format={fmt}", user)
            console.print(f"public notice ({fmt}, {link['notice_from']} – {link['notice_until']}):")
            typer.echo(link["url"])  # a link on a line of its own, never wrapped (rich wraps at the terminal width)


#: Why a household rated credit-worthy (信用户: a grade with credit terms) has no line in this campaign.
_WHY = {
    "CAPACITY": "the repayment capacity gives no amount (grade base + shares of net assets and of net income, "
                "parameter credit_line_policy)",
    "GRADE_CAP": "the grade's cap is 0",
    "PRODUCT_CAP": "no loan product is open to its grade",
    "REGULATORY_CAP": "the regulatory cap is 0",
}


def _credit_households_without_line(api: Any, user: str, ratings: list[dict[str, Any]]) -> list[str]:
    """Lines explaining the credit households of the campaign that got no line, grouped by reason (a line from
    another campaign, limit 0 and its binding constraint, withdrawn), from the ratings' ``existing_line_id``,
    ``ineligible_reason``, ``binding_constraint`` and figures."""
    from decimal import Decimal

    lacking = [r for r in ratings if r.get("is_credit_household") and not r.get("line_id")]
    if not lacking:
        return []
    groups: dict[str, list[str]] = {}
    for r in lacking:
        full = api.call("GET", f"/ratings/{r['rating_id']}", user)
        figures = full.get("figures") or {}
        if full.get("existing_line_id"):
            key, item = "it already has a line from another campaign (one line per household)", \
                f"{r['household_id']} → {full['existing_line_id']}"
        elif full.get("status") == "withdrawn":
            key, item = "withdrawn", f"{r['household_id']}: {full.get('withdrawn_reason') or '-'}"
        elif full.get("ineligible_reason") == "LIMIT_ZERO":
            binding = full.get("binding_constraint") or "-"
            key = "limit 0: " + _WHY.get(binding, f"binding constraint {binding}")
            item = (f"{r['household_id']} (grade {r['grade']}, net assets "
                    f"{Decimal(figures.get('net_assets') or 0):,.0f} 元, net income "
                    f"{Decimal(figures.get('net_income') or 0):,.0f} 元 a year)")
        else:
            key, item = full.get("ineligible_reason") or "no line proposed", r["household_id"]
        groups.setdefault(key, []).append(item)
    out = [f"credit households without a line in this campaign: {len(lacking)} (the evaluation counts every credit "
           "household, a line needs an amount above 0 and no line from another campaign)"]
    for key, items in groups.items():
        out.append(f"  {len(items)}: {key}")
        out += [f"      {i}" for i in items[:5]] + ([f"      … and {len(items) - 5} more"] if len(items) > 5 else [])
    return out


def credit_village_verdict(evaluation: dict[str, Any]) -> str:
    """The village evaluation's verdict for people: ``"yes"``, or ``"no: CODE, CODE"`` with the codes of the criteria
    it failed (``evaluation["failed"]``, e.g. ``CREDIT_HOUSEHOLD_RATIO_LOW``, in the evaluation's order); ``"no"``
    alone when none are named."""
    if evaluation.get("is_credit_village"):
        return "yes"
    failed = evaluation.get("failed") or []
    return f"no: {', '.join(failed)}" if failed else "no"


def _pct(value: Any) -> str:
    if value is None:
        return "-"
    return f"{float(value) * 100:.1f} %"


@campaign_app.command("roster")
def roster(village: str = typer.Option(..., "--village"), households: int = typer.Option(300, "--households"),
           seed: int = typer.Option(42, "--seed"), out: Path = typer.Option(..., "--out")) -> None:
    """Write a synthetic roster CSV (made-up people, well-formed ID numbers) for a village."""
    from infra.cli_support import village_argument
    from infra.synthetic import roster_csv, village_households_in

    village_argument(village)
    out.write_bytes(roster_csv(village_households_in(village, households, seed=seed)))
    typer.echo(f"{households} households written to {out}")


def publish_model(artifact: Path) -> None:
    """Store a points-table artifact in the local stack's documents bucket at models/<model_id>/<version>.json,
    where a campaign's statistical challenger reads it."""
    import boto3

    from chalicelib.rating.domain.village_credit import challenger_missing_features
    from chalicelib.rating.service.campaign import artifact_key

    state = _stack()
    doc = json.loads(artifact.read_text(encoding="utf-8"))
    key = artifact_key(doc["model_id"], doc["version"])
    boto3.client("s3").put_object(Bucket=state["env"]["DOCUMENTS_BUCKET"], Key=key, Body=artifact.read_bytes(),
                                  ContentType="application/json")
    typer.echo(f"s3://{state['env']['DOCUMENTS_BUCKET']}/{key}")
    missing = challenger_missing_features(doc)
    if missing:
        typer.echo(f"note: features households do not have, so campaigns will refuse it as challenger: {missing[:8]}")
