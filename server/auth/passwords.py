"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that a wrong e-mail costs the same time
# as a wrong password and the answer tells nothing about which accounts exist.
_DUMMY_HASH = _hasher.hash("not a password of anybody")

MIN_PASSWORD_LENGTH = 10


def hash_password(plain: str) -> str:
    return _hasher.hash(plain)


def verify_password(password_hash: str | None, plain: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, plain) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
