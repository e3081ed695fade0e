"""Tokens carry a role and an area, are signed and expire; officer roles fit their level."""

import jwt
import pytest

from shared.auth import Role, TokenError, issue_token, read_token
from shared.settings import AuthSettings


def test_round_trip():
    principal = read_token(issue_token("regency-officer", "53.71"))
    assert principal.role is Role.REGENCY_OFFICER and principal.area == "53.71"
    assert principal.covers("53.71.01.1001") and not principal.covers("53.72")


@pytest.mark.parametrize(
    ("role", "area"),
    [
        ("village-officer", "53.71"),
        ("ministry", "53"),
        ("province-officer", "ID"),
        ("sultan", "ID"),
        ("monitor", "53.7"),
    ],
)
def test_impossible_role_and_area_pairs_are_refused(role, area):
    with pytest.raises(TokenError):
        issue_token(role, area)


def test_expired_and_forged_tokens_are_refused():
    with pytest.raises(TokenError, match="expired"):
        read_token(issue_token("ministry", "ID", ttl_seconds=-120))
    forged = jwt.encode({"role": "ministry", "area": "ID", "exp": 2**40}, "x" * 32, "HS256")
    with pytest.raises(TokenError, match="invalid"):
        read_token(forged)


def test_secret_comes_from_settings():
    other = AuthSettings(token_secret="another-secret-of-sufficient-length")
    token = issue_token("ministry", "ID", settings=other)
    assert read_token(token, settings=other).role is Role.MINISTRY
    with pytest.raises(TokenError):
        read_token(token)


def test_the_jurisdiction_refusal_names_the_caller_s_area_as_theirs():
    from fastapi import HTTPException

    from shared.auth import require_area

    officer = read_token(issue_token("village-officer", "53.71.01.1002"))
    with pytest.raises(HTTPException) as refused:
        require_area(officer, "53.71.01.1001")
    assert refused.value.status_code == 403
    assert refused.value.detail == "that area is outside your jurisdiction (yours: 53.71.01.1002)"
    assert "53.71.01.1001" not in refused.value.detail  # the requested area is not echoed
