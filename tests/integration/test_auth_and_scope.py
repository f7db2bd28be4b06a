"""Authentication (JWT verified against the local pool's JWKS), roles, and organisation scope."""
from __future__ import annotations

import base64
import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def test_health_and_docs_are_public(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.text[:200000]
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.")
    assert spec.json()["servers"][0]["url"] == "."  # "Try it out" calls this server, whatever its port


def test_a_request_without_a_token_gets_401_with_a_stable_code(client):
    r = client.get("/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "TOKEN_MISSING"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_signed_by_another_key_is_refused(client, token):
    real = jwt.decode(token("am.nongan"), options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({**real, "custom:role": "province_admin"}, key, algorithm="RS256", headers={"kid": "dummy"})
    r = client.get("/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "TOKEN_INVALID"


def test_an_unsigned_token_is_refused(client, token):
    header, payload, _ = token("am.nongan").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["custom:org_id"] = "JL"
    tampered = header + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + "."
    r = client.get("/me", headers={"Authorization": f"Bearer {tampered}"})
    assert r.status_code == 401


def test_an_expired_token_is_refused(stack, client, token):
    """Signed with the local pool's own key (generated for this stack, infra/local/seams.py seam 5), but
    expired an hour ago."""
    from infra.local import seams

    key = seams.signing_key(stack.env["USER_POOL_ID"]).as_pem(private=True)
    claims = jwt.decode(token("am.nongan"), options={"verify_signature": False})
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    expired = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})
    r = client.get("/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "TOKEN_EXPIRED"
    claims.update(iat=int(time.time()), exp=int(time.time()) + 600)  # the same key, in date: accepted
    fresh = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})
    assert client.get("/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_demo_token_identifies_the_user_role_and_organisation(client):
    me = client.as_user("am.nongan").get("/me").json()
    assert me["role"] == "account_manager"
    assert me["org_path"].startswith("/JL/JL-220122/")
    assert "pii:reveal" in me["permissions"]


def test_permission_denied_is_403_with_a_stable_code(client):
    r = client.as_user("auditor").post("/parameters/scorecard_expert/versions",
                                       json={"value": {}, "effective_from": "2099-01-01", "comment": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"


def test_staff_of_institution_a_cannot_see_institution_b(client):
    yushu = client.as_user("admin.yushu")
    assert yushu.get("/orgs/JL-220122").status_code == 404
    assert yushu.get("/institutions/JL-220122/villages").status_code == 404
    assert yushu.get("/orgs/JL-220122/children").status_code == 404
    own = yushu.get("/institutions/JL-220182/villages?limit=5").json()
    assert own["items"] and all(v["village_code"].startswith("220182") for v in own["items"])


def test_an_outlet_account_manager_sees_only_the_outlet_villages(client):
    page = client.as_user("am.nongan").get("/institutions/JL-220122/villages?limit=200").json()
    codes = {v["village_code"] for v in page["items"]}
    assert "220122102202" in codes
    assert all(c.startswith("220122102") for c in codes)


def test_the_province_sees_both_institutions(client):
    children = client.as_user("province.admin").get("/orgs/JL/children").json()["items"]
    assert {c["org_id"] for c in children} == {"JL-220122", "JL-220182"}


def test_pagination_cursor_walks_without_repeats_and_rejects_garbage(client):
    c = client.as_user("admin.nongan")
    first = c.get("/institutions/JL-220122/villages?limit=7").json()
    second = c.get(f"/institutions/JL-220122/villages?limit=7&cursor={first['cursor']}").json()
    a = [v["village_code"] for v in first["items"]]
    b = [v["village_code"] for v in second["items"]]
    assert len(a) == 7 and len(b) == 7 and not set(a) & set(b) and a[-1] < b[0]
    bad = c.get("/institutions/JL-220122/villages?cursor=not-a-cursor")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_CURSOR"
    foreign = c.get(f"/institutions/JL-220182/villages?cursor={first['cursor']}")
    assert foreign.status_code in (400, 404)


def test_bad_query_parameters_are_422_with_the_field(client):
    r = client.as_user("admin.nongan").get("/institutions/JL-220122/villages?limit=0")
    assert r.status_code == 422
    assert r.json()["error"]["fields"][0]["field"] == "limit"
