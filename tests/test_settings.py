"""Settings read from the environment: defaults, DATABASE_URL forms, validation, secrecy."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import (
    DEFAULT_API_URL,
    DEFAULT_LOG_LEVEL,
    DEFAULT_PORT,
    DEFAULT_RETENTION_DAYS,
    Settings,
    database_path,
)
from dialogs.errors import CrossroadsError

CWD = Path("/srv/crossroads")


def test_defaults() -> None:
    settings = Settings.from_env({}, cwd=CWD)
    assert settings.token == ""
    assert settings.api_url == DEFAULT_API_URL == "https://api.telegram.org"
    assert settings.database == CWD / "crossroads.db"
    assert settings.port == DEFAULT_PORT == 8443
    assert settings.retention_days == DEFAULT_RETENTION_DAYS == 90
    assert settings.log_level == DEFAULT_LOG_LEVEL == "INFO"
    assert settings.webhook_url == "" and settings.webhook_secret == ""
    assert settings.content_dir is None


def test_blank_values_mean_defaults() -> None:
    env = {"PORT": "  ", "DATABASE_URL": " ", "SESSION_RETENTION_DAYS": "", "LOG_LEVEL": "", "TELEGRAM_API_URL": " "}
    assert Settings.from_env(env, cwd=CWD) == Settings.from_env({}, cwd=CWD)


def test_relative_database_url_is_under_the_working_directory() -> None:
    settings = Settings.from_env({"DATABASE_URL": "sqlite:///data/bot.db"}, cwd=CWD)
    assert settings.database == CWD / "data" / "bot.db"


def test_relative_database_url_defaults_to_the_process_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_path("sqlite:///x.db") == tmp_path / "x.db"


def test_absolute_database_url() -> None:
    settings = Settings.from_env({"DATABASE_URL": "sqlite:////var/data/crossroads.db"}, cwd=CWD)
    assert settings.database == Path("/var/data/crossroads.db")
    assert settings.database.is_absolute()


@pytest.mark.parametrize("url", ["postgres://user@host", "postgresql://user@host/", "sqlite:///",
                                 "sqlite://relative.db", "crossroads.db", "mysql:///x.db"])
def test_bad_database_url(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Settings.from_env({"DATABASE_URL": url}, cwd=CWD)


@pytest.mark.parametrize("url", ["postgres://user@host/db", "postgresql://u:p@db.example:6543/crossroads?sslmode=require"])
def test_postgres_database_url(url: str) -> None:
    settings = Settings.from_env({"DATABASE_URL": url}, cwd=CWD)
    assert settings.postgres_url == url
    assert url not in repr(settings)


def test_sqlite_database_url_has_no_postgres_url() -> None:
    assert Settings.from_env({"DATABASE_URL": "sqlite:///x.db"}, cwd=CWD).postgres_url == ""


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1", "80.5"])
def test_bad_port(port: str) -> None:
    with pytest.raises(ConfigError, match="PORT"):
        Settings.from_env({"PORT": port}, cwd=CWD)


@pytest.mark.parametrize("port", ["1", "8080", "65535", " 443 "])
def test_good_port(port: str) -> None:
    assert Settings.from_env({"PORT": port}, cwd=CWD).port == int(port)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SESSION_RETENTION_DAYS", "0"),
        ("SESSION_RETENTION_DAYS", "forever"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_API_URL", "ftp://example.org"),
        ("WEBHOOK_URL", "example.org/hook"),
        ("WEBHOOK_SECRET", "has spaces in it"),
        ("WEBHOOK_SECRET", "x" * 257),
    ],
)
def test_other_bad_values(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value}, cwd=CWD)


def test_values_are_read() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": " 123:abc ",
        "TELEGRAM_API_URL": "http://localhost:8081/",
        "WEBHOOK_URL": "https://example.org/hook",
        "WEBHOOK_SECRET": "s3cr3t_-X",
        "PORT": "9000",
        "SESSION_RETENTION_DAYS": "30",
        "LOG_LEVEL": "debug",
        "CROSSROADS_CONTENT_DIR": "/opt/content",
    }
    settings = Settings.from_env(env, cwd=CWD)
    assert settings.token == "123:abc"
    assert settings.api_url == "http://localhost:8081"
    assert settings.webhook_url == "https://example.org/hook"
    assert settings.webhook_secret == "s3cr3t_-X"
    assert settings.port == 9000
    assert settings.retention_days == 30
    assert settings.log_level == "DEBUG"
    assert settings.content_dir == Path("/opt/content")


def test_secrets_are_not_in_repr() -> None:
    token = "123456:SECRET-token-value"
    secret = "webhook_secret_value"
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": token, "WEBHOOK_SECRET": secret}, cwd=CWD)
    assert settings.token == token
    for text in (repr(settings), str(settings), f"{settings}"):
        assert token not in text and "SECRET-token" not in text
        assert secret not in text


def test_config_error_is_a_crossroads_error() -> None:
    assert issubclass(ConfigError, CrossroadsError)
