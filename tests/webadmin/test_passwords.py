"""The password policy and the argon2id hashing of staff passwords (webadmin/passwords.py)."""

from __future__ import annotations

import pytest

from webadmin.passwords import (
    MAX_LENGTH,
    PasswordRejected,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)


@pytest.mark.parametrize(
    "password",
    [
        "kopitubr",  # 8 characters, lower-case letters only: no composition rules
        "kopi tubruk di serang",  # a passphrase with spaces
        "x" * MAX_LENGTH,
        "rumah-ku-di-lebak-selatan-dekat-pasar-" * 3,  # well past 64 characters
        "ḱőṕí ŧüƀŕüķ",  # any Unicode
    ],
)
def test_policy__acceptable_passwords__pass(password: str) -> None:
    check_password_policy(password, username="siti")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("kopitub", "too_short"),
        ("       ", "too_short"),
        ("x" * (MAX_LENGTH + 1), "too_long"),
        ("password123", "common"),
        ("QWERTYUIOP", "common"),
        ("Bismillah123", "common"),
        ("12345678", "common"),
        ("Dinsos#2026!!", "context"),
        ("dinsos-banten", "common"),
        ("Siti.Aminah99", "context"),
    ],
)
def test_policy__weak_passwords__rejected_with_reason(password: str, code: str) -> None:
    with pytest.raises(PasswordRejected) as caught:
        check_password_policy(password, username="siti.aminah")
    assert caught.value.code == code
    assert str(caught.value)


def test_policy__too_short__message_recommends_fifteen() -> None:
    with pytest.raises(PasswordRejected, match="15 or more"):
        check_password_policy("abc")


def test_hash__long_password__not_truncated() -> None:
    """Should tell apart two long passwords that differ only in their last character."""
    base = "a" * 100
    stored = hash_password(base + "1")
    assert verify_password(stored, base + "1")
    assert not verify_password(stored, base + "2")


def test_hash__unicode_forms__normalised() -> None:
    """Should accept the same password typed as composed or decomposed characters (NFKC)."""
    stored = hash_password("kopi tubruk café")
    assert verify_password(stored, "kopi tubruk cafe\u0301")


def test_hash__garbage_stored_hash__false_and_needs_rehash() -> None:
    assert not verify_password("not a hash", "whatever it is")
    assert needs_rehash("not a hash")
    assert not needs_rehash(hash_password("kopi tubruk di serang"))
