"""The template is checked offline: cfn-lint on the SAM source, the SAM transform run locally and its
output linted, and every ASL file validated by asl-validator (which catches dangling Next/Default that
cfn-lint misses)."""
from __future__ import annotations

import copy
import json
import re
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


def test_users_cannot_write_their_role_or_scope_and_cannot_sign_up():
    """The custom attributes are read by the API (role, organisation, household) and written by
    administrators only. WriteAttributes must be a non-empty list: Cognito treats an empty or missing
    list as unspecified and falls back to its default writable set."""
    template = load()
    (pool,) = resources_of(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    custom = {"custom:" + a["Name"] for a in pool["Properties"]["Schema"]}
    assert custom == {"custom:role", "custom:org_id", "custom:household_id"}
    for lid, res in resources_of(template, "AWS::Cognito::UserPoolClient").items():
        writable = res["Properties"].get("WriteAttributes")
        assert writable, f"{lid}: WriteAttributes must be declared and non-empty"
        assert not any(a.startswith(("custom:", "dev:")) for a in writable), lid
        assert custom <= set(res["Properties"]["ReadAttributes"]), lid


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


def test_what_api_gateway_answers_itself_has_the_error_body():
    """API Gateway's own answers (no route, authorizer refusals, throttling, 415, 4XX/5XX) render the one error
    body of docs/openapi.json once API Gateway fills in its variables ($context.error.messageString is a quoted
    JSON string)."""
    import jsonschema

    doc = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    schemas = doc["components"]["schemas"]
    error_schema = {**schemas["Error"], "$defs": schemas}
    error_schema = json.loads(json.dumps(error_schema).replace("#/components/schemas/", "#/$defs/"))
    out = _translated()
    apis = [r for r in out["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    responses = apis[0]["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    expected = {"MISSING_AUTHENTICATION_TOKEN": ("404", "ROUTE_NOT_FOUND"), "UNAUTHORIZED": ("401", "TOKEN_INVALID"),
                "ACCESS_DENIED": ("403", "PERMISSION_DENIED"), "THROTTLED": ("429", "THROTTLED"),
                "UNSUPPORTED_MEDIA_TYPE": ("415", "UNSUPPORTED_MEDIA_TYPE"), "DEFAULT_4XX": (None, "BAD_REQUEST"),
                "DEFAULT_5XX": (None, "INTERNAL")}
    assert set(responses) == set(expected)
    for kind, (status, code) in expected.items():
        gr = responses[kind]
        assert gr.get("statusCode") == status, kind
        text = gr["responseTemplates"]["application/json"]
        rendered = json.loads(text.replace("$context.error.messageString", json.dumps('he said "no"'))
                              .replace("$context.requestId", "req-1"))
        jsonschema.validate(rendered, error_schema)
        assert rendered["error"]["code"] == code and rendered["error"]["correlation_id"] == "req-1", kind
    assert responses["UNAUTHORIZED"]["responseParameters"] == {
        "gatewayresponse.header.WWW-Authenticate": "'Bearer realm=\"village-credit\"'"}


def test_outputs_name_the_api_the_user_pool_and_its_client_every_bucket_queue_and_state_machine():
    """What an app, an operator or a smoke check of a deployed stage looks up (`sam list stack-outputs`)."""
    template = load()
    outputs = template["Outputs"]
    referenced = set()
    for name, output in outputs.items():
        assert output.get("Description"), name
        value = output["Value"]
        referenced |= {value["Ref"]} if "Ref" in value else set(re.findall(r"\$\{(\w+)\}", value.get("Fn::Sub", "")))
    wanted = resources_of(template, "AWS::Serverless::Api", "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient",
                          "AWS::S3::Bucket", "AWS::Serverless::StateMachine", "AWS::SQS::Queue")
    missing = set(wanted) - referenced - {"DeadLetterQueue"}  # the dead-letter queue has its alarm instead
    assert not missing, f"no output for {sorted(missing)}"
    api = outputs["ApiUrl"]["Value"]["Fn::Sub"]
    assert api == "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"
    assert resources_of(template, "AWS::Serverless::Api")["RestApi"]["Properties"]["StageName"] == {"Ref": "Stage"}
