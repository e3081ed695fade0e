"""The token cache of shared.auth: verified tokens are remembered, but never past their expiry."""

from __future__ import annotations

import time

import jwt
import pytest

from shared import auth as access
from shared.auth import Principal, Role, TokenError, issue_token
from shared.settings import AuthSettings


def test_a_verified_token_is_remembered_and_gives_the_same_caller(monkeypatch):
    token = issue_token("village-officer", "53.71.01.1001")
    first = access.principal_of(token)
    assert first == Principal(
        Role.VILLAGE_OFFICER, "53.71.01.1001", "village-officer@53.71.01.1001"
    )

    def fail(*_: object, **__: object) -> Principal:
        raise AssertionError("checked again")

    monkeypatch.setattr(access, "read_token", fail)
    assert access.principal_of(token) == first


def test_a_remembered_token_past_its_expiry_is_checked_again(monkeypatch):
    token = issue_token("ministry", "ID")
    principal = access.principal_of(token)
    monkeypatch.setitem(access._verified, token, (principal, time.time() - 1))

    def expired(*_: object, **__: object) -> Principal:
        raise TokenError("token expired")

    monkeypatch.setattr(access, "read_token", expired)
    with pytest.raises(TokenError, match="expired"):
        access.principal_of(token)


def test_expired_and_forged_tokens_are_refused_and_not_remembered():
    secret = AuthSettings().token_secret
    claims = {"sub": "x", "role": "ministry", "area": "ID", "exp": int(time.time()) - 10}
    expired = jwt.encode(claims, secret, algorithm="HS256")
    forged = jwt.encode(
        {**claims, "exp": int(time.time()) + 600}, "another-secret-of-32-bytes-or-more-0123"
    )
    for token, message in ((expired, "expired"), (forged, "invalid")):
        with pytest.raises(TokenError, match=message):
            access.principal_of(token)
        assert token not in access._verified
