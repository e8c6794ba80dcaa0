"""Authentication and roles: local users (argon2 hashes, HS256 tokens), OIDC bearer tokens, the login rate limit,
and the checks every route makes (role, grid)."""

import asyncio
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import jwt
from fastapi import Request
from pwdlib import PasswordHash
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microbrain_gateway.models import UserRow

log = logging.getLogger(__name__)

ISSUER = "microbrain-gateway"
ALL = "*"
ROLES = ("town_admin", "grid_operator", "field_unit", "district_viewer", "auditor")
ALL_GRID_ROLES = {"town_admin", "district_viewer", "auditor"}
PERMISSIONS: dict[str, set[str]] = {
    "town_admin": {"read", "write", "registry", "registry_write", "devices", "analytics", "audit"},
    "grid_operator": {"read", "write", "registry", "devices", "analytics"},
    "field_unit": {"read"},
    "district_viewer": {"read", "registry", "devices", "analytics"},
    "auditor": {"read", "registry", "devices", "analytics", "audit"},
}
"""read: cases, evidence, units; write: transitions, notes, calls (a field unit: transitions and notes on the cases
assigned to it, checked by the route); registry, devices, analytics: those reads; registry_write: the registry's
records, imports (the town's lists: town admins); audit: the audit log."""

_hasher = PasswordHash.recommended()


class ApiError(Exception):
    """An error the API answers with {"error": {"code", "message"}} and an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", message)


@dataclass(frozen=True)
class User:
    """Who is calling: the role decides what, grids where (["*"] for every grid)."""

    username: str
    role: str
    grids: tuple[str, ...] = ()
    display_name: str = ""
    language: str = "zh-CN"

    @property
    def all_grids(self) -> bool:
        return self.role in ALL_GRID_ROLES or ALL in self.grids

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())

    def sees(self, grid: str) -> bool:
        return self.all_grids or grid in self.grids

    def public(self) -> dict:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "grids": list(self.grids),
            "language": self.language,
        }


def hash_password(password: str) -> str:
    """An argon2 hash of password."""
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether password matches the hash (False on a malformed hash)."""
    try:
        return _hasher.verify(password, hashed)
    except Exception:
        return False


def check_role(role: str, grids: list[str]) -> None:
    """ValueError unless role is known and grids fit it (a grid operator or field unit needs its grids)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if role in {"grid_operator", "field_unit"} and not grids:
        raise ValueError(f"a {role} needs at least one grid (--grid)")
    if role == "field_unit" and len(grids) != 1:
        raise ValueError("a field unit belongs to exactly one grid")


async def add_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: str,
    grids: list[str] | None = None,
    display_name: str = "",
    language: str = "zh-CN",
) -> UserRow:
    """Adds a local user (ValueError on a bad role or grids, or a username already taken); the caller commits."""
    grids = list(grids or [])
    check_role(role, grids)
    if not username or len(username) > 64:
        raise ValueError("username must be 1..64 characters")
    if await session.get(UserRow, username) is not None:
        raise ValueError(f"user {username} already exists")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    row = UserRow(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        grids=grids,
        language=language,
        disabled=False,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    return row


def user_of(row: UserRow) -> User:
    return User(row.username, row.role, tuple(row.grids or ()), row.display_name, row.language)


class LoginLimiter:
    """Failed logins in a sliding window, per username and per client IP."""

    def __init__(self, max_attempts: int, window_s: float) -> None:
        self.max, self.window = max_attempts, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, username: str, ip: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        for key in (f"u:{username}", f"ip:{ip}"):
            q = self._recent(key, now)
            if len(q) >= self.max:
                wait = max(wait, q[len(q) - self.max] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, username: str, ip: str) -> None:
        now = time.monotonic()
        for key in (f"u:{username}", f"ip:{ip}"):
            self._recent(key, now).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"u:{username}", None)


@dataclass
class Authenticator:
    """Issues and verifies tokens; loads local users from the gateway's database."""

    sessions: async_sessionmaker[AsyncSession]
    secret: str
    ttl_s: int
    oidc_issuer: str = ""
    oidc_audience: str = ""
    _jwks: jwt.PyJWKClient | None = field(default=None, repr=False)

    def issue(self, user: User) -> str:
        """A signed HS256 token for a local user."""
        now = int(time.time())
        claims = {
            "sub": user.username,
            "role": user.role,
            "grids": list(user.grids),
            "iat": now,
            "exp": now + self.ttl_s,
            "iss": ISSUER,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")

    async def login(self, username: str, password: str) -> User | None:
        """The user when the password matches an enabled user, else None."""
        async with self.sessions() as session:
            row = await session.get(UserRow, username)
        if row is None:
            verify_password(password, _DUMMY_HASH)  # same work whether or not the user exists
            return None
        if row.disabled or not await asyncio.to_thread(verify_password, password, row.password_hash):
            return None
        return user_of(row)

    async def verify(self, token: str) -> User:
        """The user a bearer token names; ApiError 401 when it is not valid."""
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss", "")
        except jwt.PyJWTError:
            raise unauthenticated("the token is not a JWT") from None
        if self.oidc_issuer and issuer == self.oidc_issuer:
            return await self._verify_oidc(token)
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise unauthenticated("the token has expired: log in again") from None
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"invalid token: {exc}") from None
        async with self.sessions() as session:
            row = await session.get(UserRow, claims["sub"])
        if row is None or row.disabled:
            raise unauthenticated(f"user {claims['sub']} is unknown or disabled")
        return user_of(row)

    async def _verify_oidc(self, token: str) -> User:
        if self._jwks is None:
            url = self.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    reply = await client.get(url)
                    reply.raise_for_status()
                    jwks_uri = reply.json()["jwks_uri"]
            except Exception as exc:
                raise ApiError(503, "UNAVAILABLE", f"OIDC discovery at {url} failed: {exc}") from None
            self._jwks = jwt.PyJWKClient(jwks_uri, cache_keys=True)
        try:
            key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
                issuer=self.oidc_issuer,
                audience=self.oidc_audience or None,
                options={"verify_aud": bool(self.oidc_audience), "require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"invalid OIDC token: {exc}") from None
        return oidc_user(claims)


def oidc_user(claims: dict) -> User:
    """The user an OIDC token's claims describe: role from `microbrain_role` or the first known one in `roles`,
    grids from `grids` (a list or a comma-separated string); 403 when it carries no known role."""
    role = claims.get("microbrain_role", "")
    if role not in ROLES:
        roles = claims.get("roles") or []
        roles = [roles] if isinstance(roles, str) else roles
        role = next((r for r in roles if r in ROLES), "")
    if not role:
        raise forbidden(f"the token of {claims.get('sub')} carries no Microbrain role (roles / microbrain_role)")
    grids = claims.get("grids") or []
    if isinstance(grids, str):
        grids = [g.strip() for g in grids.split(",") if g.strip()]
    username = claims.get("preferred_username") or claims["sub"]
    return User(username, role, tuple(grids), claims.get("name", username), claims.get("locale", "zh-CN"))


_DUMMY_HASH = hash_password("not-a-password-anyone-has")


def bearer(request: Request, *, query_ok: bool = False) -> str:
    """The bearer token of the request (or its ?access_token= where query_ok); 401 when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    if query_ok and request.query_params.get("access_token"):
        return request.query_params["access_token"]
    raise unauthenticated("log in first: send Authorization: Bearer <token>")


async def current_user(request: Request) -> User:
    """FastAPI dependency: the calling user (401 without a valid token); kept on request.state for the audit."""
    user = await request.app.state.auth.verify(bearer(request))
    request.state.user = user
    return user


async def current_user_sse(request: Request) -> User:
    """current_user that also takes ?access_token= (EventSource cannot set headers)."""
    user = await request.app.state.auth.verify(bearer(request, query_ok=True))
    request.state.user = user
    return user


def require(user: User, permission: str) -> None:
    """403 unless the user's role grants permission."""
    if not user.may(permission):
        raise forbidden(f"role {user.role} may not {permission}")


def check_grid(user: User, grid: str) -> None:
    """403 naming the grid unless the user may see it."""
    if not user.sees(grid):
        raise forbidden(f"grid {grid} is not one of yours ({', '.join(user.grids) or 'none'})")
