"""``otm user`` and ``otm audit`` through the real application (typer's runner)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from otm.cli.app import app
from otm.model.access import Role
from otm.services import access
from otm.store import schema as t
from otm.store.combined import Store

T0 = 1_800_000_000.0


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "otm.db")


def _run(db: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        app, [*args, "--db", db], input=stdin, env={"COLUMNS": "200"}, catch_exceptions=False
    )


def test_a_user_added_on_the_command_line_signs_in_with_the_printed_password(db: str) -> None:
    result = _run(db, "user", "add", "alice", "--role", "analyst")
    assert result.exit_code == 0, result.output
    match = re.search(r"one-time password \(change it at first sign-in\): (\S+)", result.output)
    assert match is not None
    with Store(db) as store:
        signed = access.login(store, "alice", match.group(1), "10.0.0.1", T0)
        assert signed.user.role is Role.ANALYST and signed.user.must_change_password


def test_a_password_from_stdin_is_kept_and_a_bad_one_refused(db: str) -> None:
    added = _run(db, "user", "add", "bob", "--password-stdin", stdin="bob's password\n")
    assert added.exit_code == 0
    with Store(db) as store:
        assert access.login(store, "bob", "bob's password", "10.0.0.1", T0).user.name == "bob"
    refused = _run(db, "user", "passwd", "bob", "--password-stdin", stdin="short\n")
    assert refused.exit_code == 1
    assert "10 characters" in refused.output


def test_tokens_are_printed_once_and_work(db: str) -> None:
    _run(db, "user", "add", "siem-owner", "--role", "analyst")
    created = _run(
        db, "user", "token", "create", "siem-owner", "--name", "SIEM", "--role", "viewer"
    )
    assert created.exit_code == 0, created.output
    text = next(line for line in created.output.splitlines() if line.startswith("otm_"))
    with Store(db) as store:
        principal = access.token_principal(store, text.strip(), T0)
        assert principal is not None and principal.role is Role.VIEWER
        (token,) = store.tokens()
    listed = _run(db, "user", "token", "list")
    assert token.id in listed.output and text.strip() not in listed.output
    assert _run(db, "user", "token", "revoke", token.id).exit_code == 0
    with Store(db) as store:
        assert access.token_principal(store, text.strip(), T0) is None
    too_strong = _run(db, "user", "token", "create", "siem-owner", "--name", "x", "--role", "admin")
    assert too_strong.exit_code == 1


def test_every_change_is_audited_and_the_chain_verifies(db: str) -> None:
    _run(db, "user", "add", "carol", "--role", "engineer", "--by", "jane")
    _run(db, "user", "role", "carol", "viewer", "--by", "jane")
    refused = _run(db, "user", "delete", "nobody", "--by", "jane")
    assert refused.exit_code == 1
    listed = _run(db, "audit", "--format", "json")
    entries = json.loads(listed.output)
    assert [(e["action"], e["target"], e["outcome"], e["user"]) for e in entries] == [
        ("user.delete", "nobody", "refused", "jane"),
        ("user.role", "carol", "done", "jane"),
        ("user.add", "carol", "done", "jane"),
    ]
    assert entries[1]["detail"]["role"] == "viewer"
    verified = _run(db, "audit", "--verify")
    assert verified.exit_code == 0 and "3 entries" in verified.output
    with Store(db) as store, store.engine.begin() as conn:
        conn.execute(t.audit_log.update().where(t.audit_log.c.seq == 1).values(target="eve"))
    broken = _run(db, "audit", "--verify")
    assert broken.exit_code == 3 and "entry 1" in broken.output


def test_the_last_admin_cannot_be_removed_from_the_command_line(db: str) -> None:
    _run(db, "user", "add", "root", "--role", "admin")
    result = _run(db, "user", "disable", "root")
    assert result.exit_code == 1
    with Store(db) as store:
        user = store.user("root")
        assert user is not None and not user.disabled
        with store.engine.connect() as conn:
            outcomes = conn.execute(sa.select(t.audit_log.c.outcome)).scalars().all()
    assert outcomes == ["done", "refused"]
