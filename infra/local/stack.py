"""Builds the local stack on a moto server **from template.yaml** (the single source of truth).

For every resource type the product uses, :func:`build` creates the resource through the AWS SDK
against the moto endpoint, records its physical id and attributes for ``Ref``/``Fn::GetAtt``, and
finally resolves each function's environment. State machines are created through the SDK with
``DefinitionSubstitutions`` applied here (moto's CloudFormation neither executes them nor
substitutes). Functions are registered in moto's Lambda so that invoking them, directly or from a
state machine, runs the real handler in-process (``infra.local.seams``).

Used by ``make run`` (``infra.local.server``) and by the test fixtures alike.
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

from infra.template import ROOT, Resolver, function_environment, load, resources_of

STACK_NAME = "village-credit-local"
REGION = "us-east-1"
ACCOUNT = "123456789012"
LAMBDA_ROLE = "village-credit-local-lambda"


@dataclass
class Schedule:
    """A Schedule event of a function: the expression (``rate(...)``/``cron(...)``) and its input."""

    name: str
    function_logical_id: str
    function_name: str
    expression: str
    input: dict[str, Any]
    enabled: bool = True


@dataclass
class LocalStack:
    """What was built: the endpoint, the environment for in-process handlers, and name maps."""

    endpoint: str
    env: dict[str, str]
    physical: dict[str, str]
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "env": self.env, "physical": self.physical,
                "functions": self.functions, "state_machines": self.state_machines,
                "schedules": [s.__dict__ for s in self.schedules]}


def _client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="local", aws_secret_access_key="local")


def _dummy_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README.txt", "village-credit local stack: handlers run in-process (infra/local/seams.py)")
    return buf.getvalue()


def schedules_of(template: dict[str, Any], physical: dict[str, str] | None = None) -> list[Schedule]:
    """The Schedule events of the template's functions, in template order; ``physical`` maps a function's logical
    id to its deployed name (default: the logical id)."""
    out = []
    for lid, res in resources_of(template, "AWS::Serverless::Function").items():
        for ev_name, ev in (res["Properties"].get("Events") or {}).items():
            if ev["Type"] in ("Schedule", "ScheduleV2"):
                ep = ev["Properties"]
                out.append(Schedule(
                    name=ev_name, function_logical_id=lid, function_name=(physical or {}).get(lid, lid),
                    expression=ep.get("Schedule") or ep.get("ScheduleExpression"),
                    input=json.loads(ep.get("Input", "{}")), enabled=ep.get("Enabled", True)))
    return out


def build(endpoint: str, *, stack_name: str = STACK_NAME, extra_env: dict[str, str] | None = None) -> LocalStack:
    """Create every resource of template.yaml on the moto server at ``endpoint``; return the LocalStack."""
    template = load()
    params = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
    conditions = {"HasAlarmTopic": bool(params.get("AlarmTopicArn"))}
    r = Resolver(stack_name=stack_name, region=REGION, account=ACCOUNT, parameters=params, conditions=conditions)
    arn = f"arn:aws:%s:{REGION}:{ACCOUNT}:%s"

    kms = _client("kms", endpoint)
    for lid, res in resources_of(template, "AWS::KMS::Key").items():
        props = res["Properties"]
        key = kms.create_key(Description=props.get("Description", lid), KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
                             KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"))["KeyMetadata"]
        r.physical[lid] = key["KeyId"]
        r.attributes[(lid, "Arn")] = key["Arn"]

    sqs = _client("sqs", endpoint)
    queues = resources_of(template, "AWS::SQS::Queue")
    for lid, res in sorted(queues.items(), key=lambda kv: "RedrivePolicy" in kv[1]["Properties"]):
        props = r.resolve(res["Properties"])
        attrs = {k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in props.items()
                 if k in ("MessageRetentionPeriod", "VisibilityTimeout", "RedrivePolicy")}
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attrs)["QueueUrl"]
        r.physical[lid] = url
        r.attributes[(lid, "Arn")] = arn % ("sqs", props["QueueName"])
        r.attributes[(lid, "QueueName")] = props["QueueName"]

    s3 = _client("s3", endpoint)
    for lid, res in resources_of(template, "AWS::S3::Bucket").items():
        props = r.resolve(res["Properties"])
        s3.create_bucket(Bucket=props["BucketName"])
        if props.get("VersioningConfiguration"):
            s3.put_bucket_versioning(Bucket=props["BucketName"], VersioningConfiguration={"Status": "Enabled"})
        r.physical[lid] = props["BucketName"]
        r.attributes[(lid, "Arn")] = f"arn:aws:s3:::{props['BucketName']}"

    secrets = _client("secretsmanager", endpoint)
    for lid, res in resources_of(template, "AWS::SecretsManager::Secret").items():
        props = r.resolve(res["Properties"])
        length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 64))
        value = secrets.get_random_password(PasswordLength=length, ExcludePunctuation=True)["RandomPassword"]
        created = secrets.create_secret(Name=props["Name"], SecretString=value)
        r.physical[lid] = created["ARN"]

    ddb = _client("dynamodb", endpoint)
    for lid, res in resources_of(template, "AWS::DynamoDB::Table").items():
        props = r.resolve(res["Properties"])
        kwargs: dict[str, Any] = {k: props[k] for k in ("TableName", "AttributeDefinitions", "KeySchema")}
        kwargs["BillingMode"] = "PAY_PER_REQUEST"
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        table = ddb.create_table(**kwargs)["TableDescription"]
        r.physical[lid] = props["TableName"]
        r.attributes[(lid, "Arn")] = table["TableArn"]
        if table.get("LatestStreamArn"):
            r.attributes[(lid, "StreamArn")] = table["LatestStreamArn"]

    idp = _client("cognito-idp", endpoint)
    for lid, res in resources_of(template, "AWS::Cognito::UserPool").items():
        props = r.resolve(res["Properties"])
        pool = idp.create_user_pool(PoolName=props["UserPoolName"], Schema=props.get("Schema", []),
                                    Policies=props.get("Policies", {}),
                                    AdminCreateUserConfig=props.get("AdminCreateUserConfig", {}))["UserPool"]
        r.physical[lid] = pool["Id"]
        r.attributes[(lid, "Arn")] = pool["Arn"]
        r.attributes[(lid, "ProviderURL")] = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    for lid, res in resources_of(template, "AWS::Cognito::UserPoolClient").items():
        props = r.resolve(res["Properties"])
        # Read/WriteAttributes as declared: the local pool enforces WriteAttributes (infra/local/seams.py, seam 5)
        client = idp.create_user_pool_client(UserPoolId=props["UserPoolId"], ClientName=props["ClientName"],
                                             ExplicitAuthFlows=props.get("ExplicitAuthFlows", []),
                                             ReadAttributes=props.get("ReadAttributes", []),
                                             WriteAttributes=props.get("WriteAttributes", []),
                                             GenerateSecret=False)["UserPoolClient"]
        r.physical[lid] = client["ClientId"]

    for lid in list(resources_of(template, "AWS::Serverless::Api", "AWS::Serverless::LayerVersion")):
        r.physical[lid] = f"local-{lid}"
    for lid in resources_of(template, "AWS::CloudWatch::Alarm"):
        r.physical[lid] = f"local-{lid}"

    iam = _client("iam", endpoint)
    role_arn = iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": [
            "lambda.amazonaws.com", "states.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]

    functions = resources_of(template, "AWS::Serverless::Function")
    for lid, res in functions.items():
        name = r.resolve(res["Properties"]["FunctionName"])
        r.physical[lid] = name
        r.attributes[(lid, "Arn")] = arn % ("lambda", f"function:{name}")
    for lid, res in resources_of(template, "AWS::Serverless::StateMachine").items():
        name = r.resolve(res["Properties"]["Name"])
        r.physical[lid] = arn % ("states", f"stateMachine:{name}")
        r.attributes[(lid, "Name")] = name
        r.attributes[(lid, "Arn")] = r.physical[lid]

    # the environment every in-process handler sees (Globals); local-only overrides on top
    env = {k: str(r.resolve(v)) for k, v in template["Globals"]["Function"]["Environment"]["Variables"].items()}
    pool_id = env["USER_POOL_ID"]
    env.update({"STAGE": "local", "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                "JWKS_URL": f"{endpoint}/{pool_id}/.well-known/jwks.json", "POWERTOOLS_METRICS_DISABLED": "true"})
    env.update(extra_env or {})
    stack = LocalStack(endpoint=endpoint, env=env, physical=dict(r.physical))

    lam = _client("lambda", endpoint)
    code = _dummy_zip()
    for lid, res in functions.items():
        props = res["Properties"]
        fn_env = {k: str(r.resolve(v)) for k, v in function_environment(template, lid).items()}
        fn_env.update({k: v for k, v in env.items() if not k.startswith("AWS_")})
        lam.create_function(FunctionName=r.physical[lid], Runtime="python3.11", Role=role_arn,
                            Handler=props["Handler"], Code={"ZipFile": code},
                            Timeout=int(props.get("Timeout", 29)), Environment={"Variables": fn_env})
        stack.functions[lid] = {"name": r.physical[lid], "handler": props["Handler"]}
    stack.schedules = schedules_of(template, r.physical)

    # switch execution on BEFORE creating state machines: moto keeps executing state machines in a
    # separate backend (stepfunctions.parser), so machines created earlier would not be found
    import urllib.request

    req = urllib.request.Request(f"{endpoint}/moto-api/config", method="POST",
                                 data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
    sfn = _client("stepfunctions", endpoint)
    for lid, res in resources_of(template, "AWS::Serverless::StateMachine").items():
        props = res["Properties"]
        text = (ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            text = text.replace("${" + key + "}", str(r.resolve(value)))
        if "${" in text:
            raise RuntimeError(f"{props['DefinitionUri']}: unsubstituted placeholder left")
        sfn.create_state_machine(name=r.attributes[(lid, "Name")], definition=text, roleArn=role_arn,
                                 type=props.get("Type", "STANDARD"))
        stack.state_machines[lid] = r.physical[lid]

    return stack


def apply_env(stack: LocalStack) -> None:
    """Export the stack's environment into this process (handlers run here) and reset cached settings."""
    os.environ.update(stack.env)
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    get_settings.cache_clear()
    aws.reset()  # clients made before pointed at another endpoint
