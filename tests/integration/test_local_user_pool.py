"""The local user pool keeps the template's rules (infra/local/seams.py, seam 5; ADR 0013).

moto signs Cognito tokens with a private key that ships inside moto (public to anyone) and lets a user
write any attribute with their own access token. On the local stack each user pool signs with a key
generated when the pool is created, and the app client's ``WriteAttributes`` (template.yaml) and the
pool's ``AllowAdminCreateUserOnly`` are enforced as Cognito does on AWS.
"""
from __future__ import annotations

import gzip
import json
import uuid
from importlib import resources

import boto3
import jwt
import pytest
from botocore.exceptions import ClientError
from jwt.algorithms import RSAAlgorithm

from infra.seed import DEMO_PASSWORD, FARMER_DEMO_HOUSEHOLD, SHOWCASE_VILLAGE, outlet_id
from tests.conftest import HANG_GUARD_SECONDS

PROTECTED = ("custom:role", "custom:org_id", "custom:household_id")


def _moto_bundled_private_key():
    raw = (resources.files("moto.cognitoidp") / "resources" / "jwks-private.json.gz").read_bytes()
    jwk = json.loads(gzip.decompress(raw))
    return RSAAlgorithm.from_jwk(json.dumps(jwk["keys"][0] if "keys" in jwk else jwk))


def _idp(stack):
    return boto3.client("cognito-idp", endpoint_url=stack.endpoint)


def _new_farmer(stack) -> str:
    """A fresh farmer account (own username: the seeded farmer.demo is left alone)."""
    username = f"farmer.{uuid.uuid4().hex[:8]}"
    attrs = {"custom:role": "farmer", "custom:org_id": outlet_id(SHOWCASE_VILLAGE[:9]),
             "custom:household_id": FARMER_DEMO_HOUSEHOLD}
    idp = _idp(stack)
    idp.admin_create_user(UserPoolId=stack.env["USER_POOL_ID"], Username=username, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": k, "Value": v} for k, v in attrs.items()])
    idp.admin_set_user_password(UserPoolId=stack.env["USER_POOL_ID"], Username=username,
                                Password=DEMO_PASSWORD, Permanent=True)
    return username


def _tokens(stack, username: str) -> dict:
    return _idp(stack).initiate_auth(ClientId=stack.env["USER_POOL_CLIENT_ID"], AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": username, "PASSWORD": DEMO_PASSWORD}
                                     )["AuthenticationResult"]


def _attributes(stack, username: str) -> dict[str, str]:
    user = _idp(stack).admin_get_user(UserPoolId=stack.env["USER_POOL_ID"], Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def _me(client, id_token: str):
    return client.get("/me", headers={"Authorization": f"Bearer {id_token}"})


# ------------------------------------------------------------------------------------- signing key
def test_a_token_signed_with_motos_bundled_key_is_refused(client, token):
    claims = jwt.decode(token("am.nongan"), options={"verify_signature": False})
    forged = jwt.encode({**claims, "custom:role": "province_admin", "custom:org_id": "JL"},
                        _moto_bundled_private_key(), algorithm="RS256", headers={"kid": "dummy"})
    r = _me(client, forged)
    assert r.status_code == 401 and r.json()["error"]["code"] == "TOKEN_INVALID"


def test_a_token_from_login_is_accepted(client, token):
    r = _me(client, token("am.nongan"))
    assert r.status_code == 200 and r.json()["role"] == "account_manager"


def test_the_pool_serves_its_own_public_key_not_motos(stack):
    import requests

    served = requests.get(stack.env["JWKS_URL"], timeout=HANG_GUARD_SECONDS).json()["keys"]
    bundled = _moto_bundled_private_key().public_key().public_numbers()
    moduli = {RSAAlgorithm.from_jwk(json.dumps(k)).public_numbers().n for k in served}
    assert moduli and bundled.n not in moduli
    assert all("d" not in k for k in served)  # the public half only


def test_each_pool_gets_its_own_key(stack):
    """A second pool on the same server (as a second stack start would create) signs with another key."""
    import requests

    other = _idp(stack).create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    ours = requests.get(stack.env["JWKS_URL"], timeout=HANG_GUARD_SECONDS).json()["keys"]
    theirs = requests.get(f"{stack.endpoint}/{other}/.well-known/jwks.json", timeout=HANG_GUARD_SECONDS).json()["keys"]
    assert {k["n"] for k in ours}.isdisjoint({k["n"] for k in theirs})
    missing = requests.get(f"{stack.endpoint}/us-east-1_doesnotexist/.well-known/jwks.json", timeout=HANG_GUARD_SECONDS)
    assert missing.status_code == 404


# ---------------------------------------------------------------------------- attribute write rules
@pytest.mark.parametrize("attribute,value", [("custom:role", "province_admin"), ("custom:org_id", "JL"),
                                             ("custom:household_id", "11111111-1111-4111-8111-111111111111")])
def test_a_farmer_cannot_rewrite_its_own_protected_attributes(stack, client, attribute, value):
    username = _new_farmer(stack)
    before = _attributes(stack, username)
    access = _tokens(stack, username)["AccessToken"]
    with pytest.raises(ClientError) as err:
        _idp(stack).update_user_attributes(AccessToken=access, UserAttributes=[{"Name": attribute, "Value": value}])
    assert err.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert _attributes(stack, username) == before
    me = _me(client, _tokens(stack, username)["IdToken"])
    assert me.status_code == 200 and me.json()["role"] == "farmer"


def test_a_refused_update_changes_no_attribute_at_all(stack):
    username = _new_farmer(stack)
    before = _attributes(stack, username)
    access = _tokens(stack, username)["AccessToken"]
    with pytest.raises(ClientError) as err:
        _idp(stack).update_user_attributes(AccessToken=access, UserAttributes=[
            {"Name": "locale", "Value": "zh-CN"}, {"Name": "custom:role", "Value": "province_admin"}])
    assert err.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert _attributes(stack, username) == before


def test_an_attribute_the_client_may_write_is_written(stack):
    username = _new_farmer(stack)
    access = _tokens(stack, username)["AccessToken"]
    _idp(stack).update_user_attributes(AccessToken=access, UserAttributes=[{"Name": "locale", "Value": "zh-CN"}])
    attrs = _attributes(stack, username)
    assert attrs["locale"] == "zh-CN" and attrs["custom:role"] == "farmer"


def test_self_sign_up_is_refused(stack):
    """AdminCreateUserConfig.AllowAdminCreateUserOnly: nobody creates their own account (moto ignores it)."""
    username = f"intruder.{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as err:
        _idp(stack).sign_up(ClientId=stack.env["USER_POOL_CLIENT_ID"], Username=username, Password=DEMO_PASSWORD,
                            UserAttributes=[{"Name": "custom:role", "Value": "province_admin"},
                                            {"Name": "custom:org_id", "Value": "JL"}])
    assert err.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as err:
        _idp(stack).admin_get_user(UserPoolId=stack.env["USER_POOL_ID"], Username=username)
    assert err.value.response["Error"]["Code"] == "UserNotFoundException"


def test_admin_attribute_updates_still_work(stack, client):
    """The administrator path the seed uses (AdminUpdateUserAttributes) is not limited by the app client."""
    from infra.seed import DemoUser, seed_users

    username = _new_farmer(stack)
    seed_users(stack.endpoint, stack.env["USER_POOL_ID"],  # exists -> AdminUpdateUserAttributes
               [DemoUser(username, "account_manager", outlet_id(SHOWCASE_VILLAGE[:9]))])
    assert _attributes(stack, username)["custom:role"] == "account_manager"
    me = _me(client, _tokens(stack, username)["IdToken"])
    assert me.status_code == 200 and me.json()["role"] == "account_manager"
