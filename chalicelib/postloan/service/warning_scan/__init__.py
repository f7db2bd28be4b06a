"""Job 4, ``warning_scan`` (风险预警扫描): the ``warning_rules`` decision table over loans at risk or with inspection
findings (:mod:`.loans`), households with negative third-party data, expiring lines, expired ratings or frequent
draw-repay cycles (:mod:`.households`), and the portfolios of villages and account managers (:mod:`.portfolios`),
after one pass over every active loan (:mod:`.portfolio`); signals raised, escalated or marked cleared (:mod:`.rules`);
portfolio snapshots. Each phase is checkpointed by the run."""
from __future__ import annotations

from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.postloan.service.common import require_classified
from chalicelib.postloan.service.config import classification_rule, policy, warning_rules


def warning_scan_job(jr: jobs.JobRun) -> dict[str, Any]:
    """The body of the ``warning_scan`` run of ``jr.day`` (needs that date's classification); returns the rule
    version and the number of rule evaluations."""
    from chalicelib.postloan.service.warning_scan.households import households_phase
    from chalicelib.postloan.service.warning_scan.loans import loans_phase
    from chalicelib.postloan.service.warning_scan.portfolio import ShardPass
    from chalicelib.postloan.service.warning_scan.portfolios import portfolios_phase
    from chalicelib.postloan.service.warning_scan.rules import Scan, preload_active

    day = jr.day
    require_classified(day)
    rules = warning_rules(day)
    scan = Scan(day, rules, policy(day), preload_active(), jr)
    ShardPass(jr, classification_rule(day)[0]).run()
    jr.step("loans", lambda: loans_phase(scan))
    jr.step("households", lambda: households_phase(scan))
    jr.step("portfolios", lambda: portfolios_phase(scan))
    return {"rule_version": rules.version, "rule_evaluations": rules.evaluations}
