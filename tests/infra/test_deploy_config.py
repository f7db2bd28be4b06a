"""Deployment settings (samconfig.toml, `make deploy`): nothing is deployed from here, so what is checked is that
each stage names its own stack and stage parameter, prod asks before executing its change set, and `make deploy`
refuses to run without a known stage. docs/deploy.md."""
from __future__ import annotations

import shlex
import subprocess
import tomllib

from infra.template import ROOT, load

STAGES = ("staging", "prod")


def _config() -> dict:
    return tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


def _overrides(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(text))


def test_each_stage_deploys_its_own_stack_with_its_stage_parameter():
    config = _config()
    allowed = load()["Parameters"]["Stage"]["AllowedValues"]
    stacks = set()
    for stage in STAGES:
        deploy = config[stage]["deploy"]["parameters"]
        overrides = _overrides(deploy["parameter_overrides"])
        assert overrides["Stage"] == stage and stage in allowed, stage
        assert set(overrides) <= set(load()["Parameters"]), f"{stage}: unknown parameters {overrides}"
        assert stage in deploy["stack_name"] and deploy["stack_name"] not in stacks
        stacks.add(deploy["stack_name"])
        # the roles SAM generates for functions and state machines; no named IAM resources in the template
        assert deploy["capabilities"] == "CAPABILITY_IAM", stage
        assert deploy["resolve_s3"] is True or deploy.get("s3_bucket"), f"{stage}: where do the artifacts go?"
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True
    assert "default" not in config or "deploy" not in config["default"], "no stage is deployed by default"


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_make_deploy_refuses_without_a_known_stage():
    for args in ((), ("STAGE=dev",), ("STAGE=production",)):
        result = _make("deploy", *args)
        assert result.returncode != 0 and "usage: make deploy STAGE=staging|prod" in result.stderr, args
        assert "sam deploy" not in result.stdout, args


def test_make_deploy_builds_lints_and_deploys_the_built_template_with_the_stages_config():
    result = _make("-n", "deploy", "STAGE=prod")  # -n: print the commands, run none (the build's sub-make too)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (deploy,) = [line for line in lines if " deploy " in line and "sam" in line]
    assert "--config-env prod" in deploy and "--template-file" not in deploy  # samconfig.toml is read from here
    validate = next(i for i, line in enumerate(lines) if "sam validate --lint" in line)
    assert validate < lines.index(deploy)
