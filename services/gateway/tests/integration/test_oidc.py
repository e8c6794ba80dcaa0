"""OIDC: a token from an outside identity provider (a real issuer on HTTP: discovery document and JWKS, RS256 keys)
is accepted with the role and grids its claims give; a wrong audience, an expired token, a key the issuer does not
publish, or no Microbrain role are refused."""

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from microbrain_gateway.app import create_app
from microbrain_gateway.config import GatewaySettings

from .conftest import serve

AUDIENCE = "microbrain-gateway"


def issuer_app(public_jwk: dict) -> tuple[FastAPI, list[str]]:
    app, base = FastAPI(), []

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict:
        return {"issuer": base[0], "jwks_uri": base[0] + "/jwks"}

    @app.get("/jwks")
    async def jwks() -> dict:
        return {"keys": [public_jwk]}

    return app, base


@pytest.fixture
async def oidc(nats_url, database):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "k1", "use": "sig"}
    app, base = issuer_app(public)
    idp = await serve(app)
    base.append(idp[2])
    settings = GatewaySettings(
        grid_id="jinhui-shanghong",
        database_url=database.url,
        database_schema=database.schema or "",
        nats_url=nats_url,
        jwt_secret="test-secret-that-is-long-enough-for-hs256",
        oidc_issuer=idp[2],
        oidc_audience=AUDIENCE,
    )
    gateway = await serve(create_app(settings))

    def token(key=key, kid="k1", **claims) -> str:
        now = int(time.time())
        body = {"iss": idp[2], "aud": AUDIENCE, "sub": "u-778", "iat": now, "exp": now + 600} | claims
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})

    async with httpx.AsyncClient(base_url=gateway[2], timeout=10) as http:
        yield http, token
    for server, task, _ in (gateway, idp):
        server.should_exit = True
        await task


async def me(http, token: str) -> httpx.Response:
    return await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


async def test_an_identity_providers_token_gives_its_role_and_grids(oidc):
    http, token = oidc
    reply = await me(http, token(microbrain_role="grid_operator", grids="jinhui-shanghong", preferred_username="wang"))
    assert reply.status_code == 200, reply.text
    user = reply.json()
    assert (user["username"], user["role"], user["grids"]) == ("wang", "grid_operator", ["jinhui-shanghong"])
    grids = await http.get("/api/v1/grids", headers={"Authorization": f"Bearer {token(roles=['district_viewer'])}"})
    assert grids.status_code == 200 and [g["grid_id"] for g in grids.json()["grids"]] == ["jinhui-shanghong"]


async def test_tokens_the_issuer_did_not_sign_for_us_are_refused(oidc):
    http, token = oidc
    wrong_audience = await me(http, token(aud="someone-else", microbrain_role="town_admin"))
    assert wrong_audience.status_code == 401 and "audience" in wrong_audience.json()["error"]["message"].lower()
    expired = await me(http, token(exp=int(time.time()) - 60, microbrain_role="town_admin"))
    assert expired.status_code == 401
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = await me(http, token(key=stranger, microbrain_role="town_admin"))
    assert forged.status_code == 401
    no_role = await me(http, token(roles=["employee"]))
    assert no_role.status_code == 403 and "role" in no_role.json()["error"]["message"]
