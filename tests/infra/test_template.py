"""The template is checked offline: cfn-lint on the SAM source, the SAM transform run locally and its
output linted, and every ASL file validated by asl-validator (which catches dangling Next/Default that
cfn-lint misses)."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.template import ROOT, TEMPLATE, load, resources_of
from tests.conftest import HANG_GUARD_SECONDS

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def _lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CFN_LINT), "--format", "parseable", str(path)], capture_output=True, text=True,
                          timeout=HANG_GUARD_SECONDS)


def test_cfn_lint_is_clean_on_the_sam_template():
    result = _lint(TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


def _translated() -> dict:
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(load())
    for res in template["Resources"].values():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::Serverless::Function":
            props.setdefault("CodeUri", "s3://village-credit-artifacts/app.zip")
        if res["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://village-credit-artifacts/layer.zip"
        if res["Type"] == "AWS::Serverless::StateMachine":
            props["Definition"] = json.loads((ROOT / props.pop("DefinitionUri")).read_text(encoding="utf-8"))
    template["Globals"]["Function"]["CodeUri"] = "s3://village-credit-artifacts/app.zip"

    class NoManagedPolicies:
        def load(self):
            return {}

    return transform(template, {}, NoManagedPolicies())


def test_sam_transform_runs_offline_and_its_output_lints_clean(tmp_path):
    out = _translated()
    assert "AWS::Serverless::Function" not in {r["Type"] for r in out["Resources"].values()}
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(out))
    result = _lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_state_machine_file_is_valid_asl():
    files = sorted((ROOT / "statemachines").glob("*.asl.json"))
    referenced = {ROOT / r["Properties"]["DefinitionUri"]
                  for r in resources_of(load(), "AWS::Serverless::StateMachine").values()}
    assert set(files) == referenced, "every ASL file is used by the template, and every DefinitionUri exists"
    validator = ROOT / "node_modules" / ".bin" / "asl-validator"
    if not validator.exists():
        pytest.fail("asl-validator is not installed: run `npm ci` (make test does)")
    for f in files:
        result = subprocess.run([str(validator), "--no-arn-check", "--json-path", str(f)],
                                capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)
        assert result.returncode == 0, f"{f.name}: {result.stdout}{result.stderr}"


def test_asl_validator_really_catches_a_dangling_next(tmp_path):
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}}
    f = tmp_path / "bad.asl.json"
    f.write_text(json.dumps(bad))
    validator = ROOT / "node_modules" / ".bin" / "asl-validator"
    result = subprocess.run([str(validator), "--no-arn-check", "--json-path", str(f)],
                            capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)
    assert result.returncode != 0


def test_tables_are_protected_and_encrypted():
    for lid, res in resources_of(load(), "AWS::DynamoDB::Table").items():
        p = res["Properties"]
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, lid
        assert p["DeletionProtectionEnabled"] is True, lid
        assert p["SSESpecification"]["SSEEnabled"] is True, lid
        assert res["DeletionPolicy"] == "Retain", lid


def test_every_function_has_its_own_policies_and_no_wildcard_admin():
    for lid, res in resources_of(load(), "AWS::Serverless::Function").items():
        policies = res["Properties"].get("Policies")
        assert policies, f"{lid} has no least-privilege policies"
        text = json.dumps(policies)
        assert "AdministratorAccess" not in text and '"Action": "*"' not in text, lid


def test_every_function_handler_resolves_to_real_code():
    from infra.local.seams import resolve_handler

    for lid, res in resources_of(load(), "AWS::Serverless::Function").items():
        assert callable(resolve_handler(res["Properties"]["Handler"])), lid
