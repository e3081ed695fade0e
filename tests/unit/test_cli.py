"""The ``pantau`` command line: tokens print alone and verify; bad input exits 2 with a reason."""

from __future__ import annotations

from typer.testing import CliRunner

from pantau import catalog
from pantau.cli import app
from shared.auth import Role, read_token

runner = CliRunner()


def test_token_prints_only_a_token_that_verifies() -> None:
    result = runner.invoke(app, ["token", "--role", "village-officer", "--area", "53.71.01.1001"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    principal = read_token(lines[0])
    assert principal.role is Role.VILLAGE_OFFICER
    assert principal.area == "53.71.01.1001"


def test_token_ttl_is_honoured() -> None:
    import jwt

    result = runner.invoke(app, ["token", "--role", "monitor", "--area", "ID", "--ttl", "120"])

    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_unknown_role_exits_2_and_explains_on_stderr() -> None:
    result = runner.invoke(app, ["token", "--role", "boss", "--area", "ID"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown role 'boss'" in result.stderr


def test_role_at_the_wrong_level_exits_2() -> None:
    result = runner.invoke(app, ["token", "--role", "ministry", "--area", "53"])

    assert result.exit_code == 2
    assert "national area" in result.stderr


def test_malformed_area_exits_2() -> None:
    result = runner.invoke(app, ["token", "--role", "monitor", "--area", "nowhere"])

    assert result.exit_code == 2
    assert "invalid area code" in result.stderr


def test_an_area_that_does_not_exist_exits_2_in_one_line() -> None:
    result = runner.invoke(app, ["token", "--role", "village-officer", "--area", "99.99.99.9999"])

    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "no area '99.99.99.9999'" in lines[0]


def test_unknown_service_exits_2() -> None:
    result = runner.invoke(app, ["migrate", "payroll"])

    assert result.exit_code == 2
    assert "no service 'payroll'" in result.stderr


def test_catalog_finds_the_four_services_on_their_documented_ports() -> None:
    ports = {s.name: s.default_port for s in catalog.discover()}

    assert ports == {"registry": 8001, "cases": 8002, "alerts": 8003, "reporting": 8004}


def test_settings_class_reads_the_service_prefix(monkeypatch) -> None:
    for service in catalog.discover():
        monkeypatch.setenv(f"{service.name.upper()}_DATABASE_URL", f"postgresql://x/{service.name}")
        settings = catalog.settings_class(service)()
        assert settings.database_url == f"postgresql://x/{service.name}"
        assert settings.http_port == service.default_port


def test_serve_refuses_the_public_development_secrets(monkeypatch) -> None:
    monkeypatch.delenv("PANTAU_DEV", raising=False)
    monkeypatch.delenv("PANTAU_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("REGISTRY_NIK_HMAC_SECRET", raising=False)

    result = runner.invoke(app, ["serve", "registry"])

    assert result.exit_code == 2
    assert "PANTAU_TOKEN_SECRET" in result.stderr
    assert "REGISTRY_NIK_HMAC_SECRET" in result.stderr
    assert "PANTAU_DEV=1" in result.stderr


def test_serve_refuses_a_weak_secret_before_starting(monkeypatch) -> None:
    monkeypatch.delenv("PANTAU_DEV", raising=False)
    monkeypatch.setenv("PANTAU_TOKEN_SECRET", "password12345678")
    monkeypatch.setenv("REGISTRY_NIK_HMAC_SECRET", "0f4c1d9e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d")

    result = runner.invoke(app, ["serve", "registry"])

    assert result.exit_code == 2
    assert "PANTAU_TOKEN_SECRET is" in result.stderr
    assert "REGISTRY_NIK_HMAC_SECRET" not in result.stderr
