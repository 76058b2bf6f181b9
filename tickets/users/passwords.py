"""Argon2 password hashing with rehash-on-login when the hasher's parameters change."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


@dataclass(frozen=True)
class Verification:
    """The outcome of a password check; ``new_hash`` is set when the stored hash should be replaced."""

    ok: bool
    new_hash: str | None = None


class Passwords:
    """Hashes and verifies passwords with one argon2 parameter set (argon2-cffi's defaults unless given)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> Verification:
        """Check ``password`` (argon2's comparison is constant-time); ask for a rehash on outdated params."""
        try:
            self.hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(ok=False)
        if self.hasher.check_needs_rehash(stored_hash):
            return Verification(ok=True, new_hash=self.hasher.hash(password))
        return Verification(ok=True)

    def burn(self, password: str) -> None:
        """Spend the time of one verification, so unknown usernames answer as slowly as wrong passwords."""
        self.verify(self._dummy_hash, password)

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("not-a-password-of-anyone")
