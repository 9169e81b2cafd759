"""Password hashing (argon2id) and the password policy of staff accounts (reliability.md §5.1, ASVS 6.2, 11.4.2).

Hashes use argon2id at the OWASP minimum m = 19 MiB, t = 2, p = 1; a stored hash made with other parameters is
replaced at the next successful login (:func:`needs_rehash`). The policy is length only (8 to 128 characters,
15 or more recommended), not a common or context password; no composition rules, no truncation, any Unicode.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from webadmin.common_passwords import COMMON_PASSWORDS, CONTEXT_WORDS

MIN_LENGTH = 8
RECOMMENDED_LENGTH = 15
MAX_LENGTH = 128

ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST_KIB = 19_456
ARGON2_PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_COST_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


def _normalise(password: str) -> str:
    # NIST SP 800-63B: normalise Unicode so the same password typed on another keyboard still matches.
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """The argon2id hash string of ``password`` (it embeds the salt and the parameters)."""
    return _hasher.hash(_normalise(password))


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; False on a mismatch or an unreadable hash."""
    try:
        return _hasher.verify(stored_hash, _normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_against_nothing(password: str) -> None:
    """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
    verify_password(_dummy_hash(), password)


class PasswordRejected(ValueError):
    """The password breaks the policy; ``code`` says which rule (too_short, too_long, common, context)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_NOT_LETTERS = re.compile(r"[\W\d_]+")


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise :class:`PasswordRejected` when ``password`` may not be used (by ``username``).

    A common password is refused also when only digits or symbols were added to it ("iloveyou!!").

    :raises PasswordRejected: with a message that says what to change.
    """
    length = len(_normalise(password))
    if length < MIN_LENGTH:
        raise PasswordRejected(
            "too_short",
            f"the password has {length} characters; use at least {MIN_LENGTH} "
            f"({RECOMMENDED_LENGTH} or more recommended, e.g. a few words with spaces)",
        )
    if length > MAX_LENGTH:
        raise PasswordRejected("too_long", f"the password has {length} characters; use at most {MAX_LENGTH}")
    lowered = password.lower()
    letters = _NOT_LETTERS.sub("", lowered)
    if lowered in COMMON_PASSWORDS or letters in COMMON_PASSWORDS:
        raise PasswordRejected("common", "this password is on the list of common passwords; choose another")
    if letters in CONTEXT_WORDS or (
        username and letters and letters == _NOT_LETTERS.sub("", username.lower())
    ):
        raise PasswordRejected(
            "context",
            "the password is the username or a word of this service with digits or symbols; choose another",
        )
