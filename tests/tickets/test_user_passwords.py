"""Argon2 hashing: verify, refuse, rehash when the parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher

from tickets.users.passwords import Passwords

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_given_a_hash_when_the_right_password_is_checked_then_it_verifies_without_rehash() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("s3cret-密码")
    assert stored.startswith("$argon2id$")
    assert "s3cret" not in stored
    result = passwords.verify(stored, "s3cret-密码")
    assert result.ok and result.new_hash is None


def test_given_a_hash_when_a_wrong_or_garbled_input_is_checked_then_it_fails() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("right password")
    assert not passwords.verify(stored, "wrong password").ok
    assert not passwords.verify("not-a-hash", "right password").ok
    assert not passwords.verify(stored[:-4], "right password").ok


def test_given_a_hash_from_older_parameters_when_verified_then_a_new_hash_is_offered() -> None:
    old = Passwords(CHEAP)
    stored = old.hash("right password")
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    result = stronger.verify(stored, "right password")
    assert result.ok
    assert result.new_hash is not None and result.new_hash != stored
    assert "t=2" in result.new_hash
    assert stronger.verify(result.new_hash, "right password") == type(result)(ok=True)


def test_burn_verifies_against_a_dummy_hash_and_raises_nothing() -> None:
    passwords = Passwords(CHEAP)
    passwords.burn("anything")
    assert passwords.verify(passwords._dummy_hash, "anything").ok is False
