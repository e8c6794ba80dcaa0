"""Pure parts of the gateway: passwords, tokens' claims, the login limiter, OIDC claims, SSE cursors, grids file."""

import os
import subprocess
import sys
import time

import pytest
from microbrain_gateway import auth
from microbrain_gateway.auth import ApiError, LoginLimiter, User, oidc_user
from microbrain_gateway.config import GatewaySettings, load_grids
from microbrain_gateway.events import format_cursor, parse_cursor


def test_password_hashes_are_argon2_and_verify():
    hashed = auth.hash_password("s3cret-pass")
    assert hashed.startswith("$argon2") and auth.verify_password("s3cret-pass", hashed)
    assert not auth.verify_password("other", hashed) and not auth.verify_password("x", "not-a-hash")


def test_limiter_counts_failures_per_user_and_per_address():
    limiter = LoginLimiter(max_attempts=3, window_s=60)
    for i in range(3):
        assert limiter.retry_after("alice", f"10.0.0.{i}") == 0
        limiter.failed("alice", f"10.0.0.{i}")
    assert 0 < limiter.retry_after("alice", "10.9.9.9") <= 61
    assert limiter.retry_after("bob", "10.9.9.9") == 0
    limiter.succeeded("alice")
    assert limiter.retry_after("alice", "10.9.9.9") == 0
    short = LoginLimiter(max_attempts=1, window_s=0.05)
    short.failed("x", "ip")
    assert short.retry_after("x", "ip") > 0
    time.sleep(0.06)
    assert short.retry_after("x", "ip") == 0


def test_roles_and_grids():
    op = User("op", "grid_operator", ("g1",))
    assert op.sees("g1") and not op.sees("g2") and op.may("write") and not op.may("audit")
    viewer = User("v", "district_viewer")
    assert viewer.sees("anything") and not viewer.may("write")
    unit = User("unit-01", "field_unit", ("g1",))
    assert unit.may("read") and not unit.may("write") and not unit.may("devices")
    with pytest.raises(ApiError) as err:
        auth.check_grid(op, "g2")
    assert err.value.status == 403 and "g2" in err.value.message
    with pytest.raises(ValueError):
        auth.check_role("grid_operator", [])
    with pytest.raises(ValueError):
        auth.check_role("emperor", ["g1"])


def test_oidc_claims_map_to_a_user():
    user = oidc_user({"sub": "abc", "preferred_username": "li", "roles": ["other", "grid_operator"], "grids": "a,b"})
    assert (user.username, user.role, user.grids) == ("li", "grid_operator", ("a", "b"))
    assert oidc_user({"sub": "x", "microbrain_role": "auditor"}).role == "auditor"
    with pytest.raises(ApiError):
        oidc_user({"sub": "x", "roles": ["nobody"]})


def test_sse_cursors_round_trip():
    positions = {"g1:alarms": 41, "g1:cases": 97, "g2:ingest": 0}
    text = format_cursor("g1:cases", positions)
    assert text.startswith("g1:cases:97,") and parse_cursor(text) == positions
    assert parse_cursor("g1:alarms:5") == {"g1:alarms": 5}
    for bad in ("g1:alarms", "g1:weather:3", "g1:alarms:x", "a:b:c:d", ":alarms:1"):
        with pytest.raises(ApiError):
            parse_cursor(bad)


def test_grids_file(tmp_path):
    base = dict(grid_id="g0", database_url="sqlite+aiosqlite:///x.db")
    only = load_grids(GatewaySettings(**base))
    assert list(only) == ["g0"] and only["g0"].cases_target == "127.0.0.1:50053"
    path = tmp_path / "grids.yaml"
    path.write_text("- {grid_id: g1, name: 一, cases_target: 'h:1'}\n- {grid_id: g2}\n", encoding="utf-8")
    grids = load_grids(GatewaySettings(**base, grids=str(path)))
    assert grids["g1"].name == "一" and grids["g1"].cases_target == "h:1"
    assert grids["g2"].ingest_target.endswith("50051")
    path.write_text("- {grid_id: g1, cases: 'h:1'}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        load_grids(GatewaySettings(**base, grids=str(path)))


def test_users_cli(tmp_path):
    env = {**os.environ, "MB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}"}

    def users(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "microbrain_gateway.users", *args]
        return subprocess.run(cmd, input=stdin, env=env, capture_output=True, text=True, timeout=60)

    added = users("add", "li", "--role", "grid_operator", "--grid", "g1", "--password-stdin", stdin="long-pass\n")
    assert added.returncode == 0, added.stderr
    assert users("add", "li", "--role", "auditor", "--password-stdin", stdin="long-pass\n").returncode == 2
    assert users("add", "w", "--role", "grid_operator", "--password-stdin", stdin="long-pass\n").returncode == 2
    assert users("disable", "li").returncode == 0
    listed = users("list").stdout
    assert "li\tgrid_operator\tg1\tdisabled" in listed
    assert users("passwd", "li", "--password-stdin", stdin="another-pass\n").returncode == 0
    assert users("passwd", "nobody", "--password-stdin", stdin="another-pass\n").returncode == 2
