"""Users, sign-in limits, sessions, API tokens and the audit chain (otm.services.access),
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from otm.model.access import Role
from otm.services import access
from otm.store import schema as t
from otm.store.combined import Store

T0 = 1_800_000_000.0


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as s:
        yield s


def _column(store: Store, column: sa.Column[object]) -> list[object]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(column)).scalars())


def test_a_generated_password_works_once_and_must_be_changed(store: Store) -> None:
    one_time = access.add_user(store, "alice", Role.ANALYST, T0)
    assert one_time is not None and len(one_time) >= access.MIN_PASSWORD
    signed = access.login(store, "alice", one_time, "10.0.0.9", T0 + 1)
    assert signed.user.must_change_password
    found = access.session_principal(store, signed.cookie, T0 + 2)
    assert found is not None and found[0].must_change_password
    access.change_own_password(store, "alice", one_time, "a much better secret", T0 + 3)
    assert access.session_principal(store, signed.cookie, T0 + 4) is None  # sessions end
    with pytest.raises(access.LoginRefusedError):
        access.login(store, "alice", one_time, "10.0.0.9", T0 + 5)
    again = access.login(store, "alice", "a much better secret", "10.0.0.9", T0 + 6)
    assert not again.user.must_change_password


def test_passwords_are_stored_as_argon2id_hashes_only(store: Store) -> None:
    access.add_user(store, "bob", Role.VIEWER, T0, "correct horse battery")
    (stored,) = _column(store, t.users.c.password_hash)
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_a_wrong_name_and_a_wrong_password_read_alike(store: Store) -> None:
    access.add_user(store, "bob", Role.VIEWER, T0, "correct horse battery")
    with pytest.raises(access.LoginRefusedError) as wrong_password:
        access.login(store, "bob", "incorrect horse", "10.0.0.9", T0)
    with pytest.raises(access.LoginRefusedError) as wrong_name:
        access.login(store, "nobody", "correct horse battery", "10.0.0.9", T0)
    assert str(wrong_password.value) == str(wrong_name.value)


def test_wrong_passwords_lock_the_user_for_a_while(store: Store) -> None:
    access.add_user(store, "carol", Role.OPERATOR, T0, "right password 1")
    for i in range(access.LOCK_AFTER):
        with pytest.raises(access.LoginRefusedError):
            access.login(store, "carol", f"guess {i} guess", f"10.0.1.{i}", T0 + i)
    with pytest.raises(access.LoginRefusedError) as locked:
        access.login(store, "carol", "right password 1", "10.0.2.1", T0 + 10)
    assert locked.value.retry_after is not None and locked.value.retry_after > 0
    later = T0 + access.LOCK_AFTER + access.LOCK_FOR + 1
    assert access.login(store, "carol", "right password 1", "10.0.2.1", later).user.name == "carol"


def test_an_admin_unlocks_a_locked_user(store: Store) -> None:
    access.add_user(store, "carol", Role.OPERATOR, T0, "right password 1")
    for _ in range(access.LOCK_AFTER):
        with pytest.raises(access.LoginRefusedError):
            access.login(store, "carol", "wrong password!", "10.0.1.1", T0)
    access.unlock(store, "carol")
    assert access.login(store, "carol", "right password 1", "10.0.1.1", T0 + 1).user.name == "carol"


def test_an_address_that_guesses_too_much_is_refused_without_a_check(store: Store) -> None:
    access.add_user(store, "dave", Role.VIEWER, T0, "dave's good password")
    for i in range(access.ADDRESS_LIMIT):
        with pytest.raises(access.LoginRefusedError):
            access.login(store, f"user{i}", "whatever it is", "192.0.2.66", T0 + i)
    with pytest.raises(access.LoginRefusedError) as refused:
        access.login(store, "dave", "dave's good password", "192.0.2.66", T0 + 30)
    assert "192.0.2.66" in str(refused.value)
    # Another address is not refused, and the window passes.
    assert access.login(store, "dave", "dave's good password", "192.0.2.7", T0 + 31)
    later = T0 + access.ADDRESS_LIMIT + access.ADDRESS_WINDOW + 1
    assert access.login(store, "dave", "dave's good password", "192.0.2.66", later)


def test_sessions_end_when_idle_or_too_old(store: Store) -> None:
    access.add_user(store, "erin", Role.VIEWER, T0, "erin's password!")
    signed = access.login(store, "erin", "erin's password!", "10.0.0.1", T0)
    assert access.session_principal(store, signed.cookie, T0 + access.SESSION_IDLE - 5)
    assert access.session_principal(store, "not the cookie", T0) is None
    # Active every half hour, it still ends at its longest life.
    now = T0
    while now + access.SESSION_IDLE / 2 < T0 + access.SESSION_LIFE:
        now += access.SESSION_IDLE / 2
        assert access.session_principal(store, signed.cookie, now) is not None
    assert access.session_principal(store, signed.cookie, T0 + access.SESSION_LIFE) is None
    idle = access.login(store, "erin", "erin's password!", "10.0.0.1", T0)
    assert access.session_principal(store, idle.cookie, T0 + access.SESSION_IDLE + 1) is None


def test_the_role_in_force_is_the_user_s_role_now(store: Store) -> None:
    access.add_user(store, "frank", Role.ENGINEER, T0, "frank's password")
    access.add_user(store, "root", Role.ADMIN, T0, "root's password!")
    signed = access.login(store, "frank", "frank's password", "10.0.0.1", T0)
    access.set_role(store, "frank", Role.VIEWER)
    found = access.session_principal(store, signed.cookie, T0 + 1)
    assert found is not None and found[0].role is Role.VIEWER
    access.set_disabled(store, "frank", True)
    assert access.session_principal(store, signed.cookie, T0 + 2) is None
    with pytest.raises(access.LoginRefusedError):
        access.login(store, "frank", "frank's password", "10.0.0.1", T0 + 3)


def test_the_csrf_token_must_match(store: Store) -> None:
    access.add_user(store, "gina", Role.VIEWER, T0, "gina's password!")
    signed = access.login(store, "gina", "gina's password!", "10.0.0.1", T0)
    assert access.csrf_matches(signed.session, signed.session.csrf)
    assert not access.csrf_matches(signed.session, signed.session.csrf[:-1] + "x")
    assert not access.csrf_matches(signed.session, None)


def test_api_tokens_act_with_their_role_until_revoked_or_expired(store: Store) -> None:
    access.add_user(store, "siem", Role.ANALYST, T0, "siem's password!")
    token, text = access.create_token(store, "siem", "SIEM", Role.VIEWER, T0, expires_in=3600)
    principal = access.token_principal(store, text, T0 + 1)
    assert principal is not None and principal.role is Role.VIEWER and principal.via == "token"
    assert access.token_principal(store, text[:-2] + "zz", T0 + 1) is None
    assert access.token_principal(store, "Bearer nonsense", T0 + 1) is None
    assert access.token_principal(store, text, T0 + 3601) is None  # expired
    stored = _column(store, t.api_tokens.c.secret_hash)
    assert all(text.rsplit("_", 1)[1] not in str(h) for h in stored)
    access.revoke_token(store, token.id, T0 + 2)
    assert access.token_principal(store, text, T0 + 3) is None
    with pytest.raises(access.AccessError):
        access.revoke_token(store, token.id, T0 + 4)


def test_a_token_never_exceeds_its_owner(store: Store) -> None:
    access.add_user(store, "ops", Role.OPERATOR, T0, "ops's password!!")
    access.add_user(store, "root", Role.ADMIN, T0, "root's password!")
    with pytest.raises(access.AccessError):
        access.create_token(store, "ops", "too strong", Role.ENGINEER, T0)
    _, text = access.create_token(store, "ops", "console", None, T0)
    access.set_role(store, "ops", Role.VIEWER)
    principal = access.token_principal(store, text, T0 + 1)
    assert principal is not None and principal.role is Role.VIEWER
    access.set_disabled(store, "ops", True)
    assert access.token_principal(store, text, T0 + 2) is None


def test_the_last_admin_stays(store: Store) -> None:
    assert access.ensure_first_admin(store, T0) is not None
    assert access.ensure_first_admin(store, T0) is None  # once only
    acts: list[Callable[[], None]] = [
        lambda: access.set_role(store, "admin", Role.VIEWER),
        lambda: access.set_disabled(store, "admin", True),
        lambda: access.delete_user(store, "admin"),
    ]
    for act in acts:
        with pytest.raises(access.AccessError, match="only enabled admin"):
            act()
    access.add_user(store, "second", Role.ADMIN, T0, "second admin pw")
    access.delete_user(store, "admin")
    assert [u.name for u in store.users()] == ["second"]


@pytest.mark.parametrize(
    ("name", "password"),
    [("", "long enough pw"), ("a b", "long enough pw"), ("ok", "short"), ("sam", "SAM")],
)
def test_bad_names_and_passwords_are_refused(store: Store, name: str, password: str) -> None:
    with pytest.raises(access.AccessError):
        access.add_user(store, name, Role.VIEWER, T0, password)
    assert store.users() == []


def test_the_audit_chain_shows_an_edit_and_a_removal(store: Store) -> None:
    for i in range(5):
        access.audit(store, "alice", "10.0.0.1", "alert.ack", f"A{i}", "done", T0 + i, n=i)
    assert access.verify_audit(store).intact
    assert access.verify_audit(store).entries == 5
    with store.engine.begin() as conn:
        conn.execute(t.audit_log.update().where(t.audit_log.c.seq == 3).values(user="mallory"))
    verdict = access.verify_audit(store)
    assert (verdict.broken_at, verdict.entries) == (3, 2)
    with store.engine.begin() as conn:
        conn.execute(t.audit_log.update().where(t.audit_log.c.seq == 3).values(user="alice"))
    assert access.verify_audit(store).intact
    with store.engine.begin() as conn:
        conn.execute(t.audit_log.delete().where(t.audit_log.c.seq == 2))
    assert access.verify_audit(store).broken_at == 3
