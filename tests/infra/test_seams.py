"""Guards the two moto seams (infra/local/seams.py) and the local stack's template-driven build."""
from __future__ import annotations

import json
import threading

import boto3
import pytest

from infra.template import load, resources_of
from tests.conftest import HANG_GUARD_SECONDS


def test_moto_still_has_the_patched_methods_with_the_expected_signatures():
    import inspect

    from moto.awslambda.models import LambdaFunction
    from moto.dynamodb.responses import DynamoHandler

    assert list(inspect.signature(LambdaFunction._invoke_lambda).parameters) == ["self", "event"]
    assert callable(DynamoHandler.call_action)


def test_moto_still_has_what_the_user_pool_seam_patches():
    """Seam 5 (infra/local/seams.py): if moto renames any of these, the local pool would silently sign
    with moto's public bundled key again or let users write their own role."""
    import inspect

    import moto.cognitoidp.models as idp_models
    import moto.cognitoidp.urls as idp_urls
    from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

    from infra.local import seams

    assert list(inspect.signature(CognitoIdpBackend.update_user_attributes).parameters) == [
        "self", "access_token", "attributes"]
    assert list(inspect.signature(CognitoIdpBackend.sign_up).parameters) == [
        "self", "client_id", "username", "password", "attributes"]
    source = inspect.getsource(idp_models)
    assert "self.json_web_key = " in source  # the pool's signing key, replaced per pool
    assert "jwt.encode(headers, payload, self.json_web_key)" in inspect.getsource(CognitoIdpUserPool.create_jwt)
    assert '"kid": "dummy"' in inspect.getsource(CognitoIdpUserPool.create_jwt)  # the kid our JWKS serves
    assert seams._JWKS_PATH in idp_urls.url_paths
    # the seam finds the token's app client in pool.access_tokens[token] = (client_id, username)
    assert "self.access_tokens[access_token] = (client_id, username)" in inspect.getsource(
        CognitoIdpUserPool.create_access_token)
    seams.install()
    assert idp_urls.url_paths[seams._JWKS_PATH] is seams._serve_pool_jwks


def test_every_template_resource_the_product_uses_exists_on_the_local_stack(stack):
    template = load()
    ddb = boto3.client("dynamodb")
    for lid, res in resources_of(template, "AWS::DynamoDB::Table").items():
        desc = ddb.describe_table(TableName=stack.physical[lid])["Table"]
        want = res["Properties"]["KeySchema"]
        assert desc["KeySchema"] == want, lid
        assert sorted(i["IndexName"] for i in desc.get("GlobalSecondaryIndexes", [])) == sorted(
            i["IndexName"] for i in res["Properties"].get("GlobalSecondaryIndexes", [])), lid
    lam = boto3.client("lambda")
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert {f["name"] for f in stack.functions.values()} <= names
    sfn = boto3.client("stepfunctions")
    machines = {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    assert set(stack.state_machines.values()) <= machines
    assert set(stack.state_machines) == set(resources_of(template, "AWS::Serverless::StateMachine"))


def test_invoking_a_function_runs_its_real_handler_in_process(stack):
    lam = boto3.client("lambda")
    public = stack.functions["PublicApiFunction"]["name"]
    event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "requestId": "r1", "stage": "test"}}
    out = lam.invoke(FunctionName=public, Payload=json.dumps(event).encode())
    payload = json.loads(out["Payload"].read())
    assert "FunctionError" not in out
    assert payload["statusCode"] == 200
    assert json.loads(payload["body"])["status"] == "ok"


def test_a_handler_exception_becomes_a_lambda_error_named_after_its_class(stack):
    lam = boto3.client("lambda")
    public = stack.functions["PublicApiFunction"]["name"]
    out = lam.invoke(FunctionName=public, Payload=b'"not an API event"')
    assert out.get("FunctionError")
    assert json.loads(out["Payload"].read())["errorType"]


def test_concurrent_conditional_writes_are_atomic(stack):
    """20 threads each take 10 from an available amount of 100 with `available >= 10`: exactly 10 succeed
    and the amount never goes below zero (without the lock moto lets it go negative)."""
    from botocore.exceptions import ClientError

    ddb = boto3.client("dynamodb")
    table = stack.env["CORE_TABLE"]
    ddb.put_item(TableName=table, Item={"PK": {"S": "TEST#atomic"}, "SK": {"S": "X"}, "available": {"N": "100"}})
    wins, losses = [], []
    barrier = threading.Barrier(20)

    def take():
        c = boto3.client("dynamodb")
        barrier.wait()
        try:
            c.update_item(TableName=table, Key={"PK": {"S": "TEST#atomic"}, "SK": {"S": "X"}},
                          UpdateExpression="SET available = available - :a", ConditionExpression="available >= :a",
                          ExpressionAttributeValues={":a": {"N": "10"}})
            wins.append(1)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
            losses.append(1)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=HANG_GUARD_SECONDS)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    item = ddb.get_item(TableName=table, Key={"PK": {"S": "TEST#atomic"}, "SK": {"S": "X"}})["Item"]
    assert (len(wins), len(losses)) == (10, 10)
    assert item["available"]["N"] == "0"


def test_schedules_come_from_the_template(stack):
    template = load()
    expected = {name for res in resources_of(template, "AWS::Serverless::Function").values()
                for name, ev in (res["Properties"].get("Events") or {}).items() if ev["Type"] in ("Schedule", "ScheduleV2")}
    assert {s.name for s in stack.schedules} == expected


@pytest.mark.parametrize("expr,after,expected", [
    ("rate(5 minutes)", "2026-01-01T00:00:00+00:00", "2026-01-01T00:05:00+00:00"),
    ("rate(1 day)", "2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00"),
    ("cron(30 18 * * ? *)", "2026-01-01T19:00:00+00:00", "2026-01-02T18:30:00+00:00"),
])
def test_schedule_expressions(expr, after, expected):
    from datetime import datetime

    from infra.local.scheduler import next_fire

    assert next_fire(expr, datetime.fromisoformat(after)) == datetime.fromisoformat(expected)
