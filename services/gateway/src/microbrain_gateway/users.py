"""`microbrain users …`: manage the gateway's local users in MB_DATABASE_URL (migrated first)."""

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from microbrain_kit.db import create_engine, migrate, session_factory
from sqlalchemy import select

from microbrain_gateway import auth
from microbrain_gateway.models import UserRow

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "gateway_alembic_version"


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="microbrain users", description="Local users of the gateway.")
    sub = p.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=auth.ROLES)
    add.add_argument("--grid", action="append", default=[], help="a grid the user works in (repeatable)")
    add.add_argument("--display-name", default="")
    add.add_argument("--language", default="zh-CN")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    sub.add_parser("list", help="list users")
    pw = sub.add_parser("passwd", help="set a user's password")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    dis = sub.add_parser("disable", help="disable a user (tokens stop working at once)")
    dis.add_argument("username")
    en = sub.add_parser("enable", help="enable a disabled user")
    en.add_argument("username")
    return p


async def _run(args, url: str, schema: str) -> int:
    engine = create_engine(url, schema=schema or None)
    try:
        await migrate(engine, MIGRATIONS, version_table=VERSION_TABLE)
        sessions = session_factory(engine)
        async with sessions() as session:
            if args.cmd == "add":
                await auth.add_user(
                    session,
                    username=args.username,
                    password=_password(args),
                    role=args.role,
                    grids=args.grid,
                    display_name=args.display_name,
                    language=args.language,
                )
                await session.commit()
                print(f"added {args.username} ({args.role})")
            elif args.cmd == "list":
                for row in (await session.scalars(select(UserRow).order_by(UserRow.username))).all():
                    state = "disabled" if row.disabled else "enabled"
                    grids = ",".join(row.grids or []) or "-"
                    print(f"{row.username}\t{row.role}\t{grids}\t{state}\t{row.display_name}")
            else:
                row = await session.get(UserRow, args.username)
                if row is None:
                    raise ValueError(f"no user {args.username}")
                if args.cmd == "passwd":
                    password = _password(args)
                    if len(password) < 8:
                        raise ValueError("password must have at least 8 characters")
                    row.password_hash = auth.hash_password(password)
                else:
                    row.disabled = args.cmd == "disable"
                await session.commit()
                print(f"{args.cmd}: {args.username}")
    finally:
        await engine.dispose()
    return 0


def main_users(argv: list[str] | None = None) -> int:
    """Runs one users command; returns the exit status (2 on a usage or data error)."""
    args = _parser().parse_args(argv)
    url = os.environ.get("MB_DATABASE_URL")
    if not url:
        sys.stderr.write("MB_DATABASE_URL is required (the gateway's database)\n")
        return 2
    try:
        return asyncio.run(_run(args, url, os.environ.get("MB_DATABASE_SCHEMA", "")))
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main_users())
