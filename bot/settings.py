"""Configuration, read from the environment once, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.flood_control import TELEGRAM_LIMITS, FloodLimits

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite:///crossroads.db"
DEFAULT_WEBHOOK_LISTEN = "0.0.0.0"
DEFAULT_PORT = 8443
DEFAULT_RETENTION_DAYS = 90
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_CHECKIN_AFTER_SECONDS = 14 * 86_400
DEFAULT_CHECKIN_POLL_SECONDS = 60
SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")
CACHE_OFF = ("off", "none", "no", "0")


def is_postgres_url(url: str) -> bool:
    """postgresql://... or postgres://... (the form platforms hand out)."""
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def database_path(url: str, cwd: Path | None = None) -> Path:
    """sqlite:///relative.db -> cwd/relative.db; sqlite:////abs/path.db -> /abs/path.db."""
    if not url.startswith(SQLITE_PREFIX) or len(url) == len(SQLITE_PREFIX):
        raise ConfigError("DATABASE_URL must look like sqlite:///crossroads.db, sqlite:////var/data/x.db or "
                          f"postgresql://user:password@host:5432/database, not {url!r}")
    raw = Path(url[len(SQLITE_PREFIX):])
    return raw if raw.is_absolute() else (cwd or Path.cwd()) / raw


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def _chat_ids(raw: str) -> frozenset[int]:
    """ADMIN_CHAT_IDS: chat ids separated by commas or spaces."""
    ids = set()
    for part in raw.replace(",", " ").split():
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(f"ADMIN_CHAT_IDS must list numeric chat ids, not {part!r}") from None
    return frozenset(ids)


def _cache_dir(env: Mapping[str, str]) -> Path | None:
    """CROSSROADS_CACHE_DIR, "off" for none, else the user's cache folder (XDG_CACHE_HOME or ~/.cache)."""
    raw = env.get("CROSSROADS_CACHE_DIR", "").strip()
    if raw.casefold() in CACHE_OFF:
        return None
    if raw:
        return Path(raw)
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg) / "crossroads"
    home = env.get("HOME", "").strip()
    return Path(home) / ".cache" / "crossroads" if home else None


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Secrets are excluded from repr so they never reach a log."""

    token: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    database: Path = Path("crossroads.db")
    #: postgresql://... when the sessions live in PostgreSQL (then ``database`` is unused).
    postgres_url: str = field(default="", repr=False)
    webhook_url: str = ""
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN
    port: int = DEFAULT_PORT
    webhook_secret: str = field(default="", repr=False)
    retention_days: int = DEFAULT_RETENTION_DAYS
    log_level: str = DEFAULT_LOG_LEVEL
    content_dir: Path | None = None
    checkin_after_seconds: int = DEFAULT_CHECKIN_AFTER_SECONDS
    checkin_poll_seconds: int = DEFAULT_CHECKIN_POLL_SECONDS
    #: The console's language, from the locale (LANG, e.g. es_ES.UTF-8); --lang overrides it.
    console_language: str = ""
    #: Chats allowed to use /stats.
    admin_chat_ids: frozenset[int] = frozenset()
    #: Where validated content is kept between starts (None: load and validate it every time).
    content_cache_dir: Path | None = None
    flood_limits: FloodLimits = TELEGRAM_LIMITS
    #: In polling mode, the port of the /metrics endpoint (0: off); webhook mode serves it on PORT.
    metrics_port: int = 0
    #: Where unhandled errors are reported (Sentry), scrubbed of what people wrote; "" for nowhere.
    sentry_dsn: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], cwd: Path | None = None) -> Settings:
        """Build settings from environment variables (see README, "Configuration")."""
        api_url = env.get("TELEGRAM_API_URL", "").strip().rstrip("/") or DEFAULT_API_URL
        if urlsplit(api_url).scheme not in ("http", "https"):
            raise ConfigError(f"TELEGRAM_API_URL must be an http(s) URL, not {api_url!r}")
        webhook_url = env.get("WEBHOOK_URL", "").strip()
        if webhook_url and urlsplit(webhook_url).scheme not in ("http", "https"):
            raise ConfigError("WEBHOOK_URL must be an https URL")
        secret = env.get("WEBHOOK_SECRET", "").strip()
        if secret and (len(secret) > 256 or not all(c.isalnum() or c in "_-" for c in secret)):
            raise ConfigError("WEBHOOK_SECRET may hold 1-256 characters: letters, digits, _ and -")
        level = env.get("LOG_LEVEL", DEFAULT_LOG_LEVEL).strip().upper() or DEFAULT_LOG_LEVEL
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
        content_dir = env.get("CROSSROADS_CONTENT_DIR", "").strip()
        database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        postgres_url = database_url if is_postgres_url(database_url) else ""
        if postgres_url and not urlsplit(postgres_url).path.strip("/"):
            raise ConfigError("DATABASE_URL must name a database: postgresql://user:password@host:5432/database")
        overall = _int(env, "TELEGRAM_MESSAGES_PER_SECOND", int(TELEGRAM_LIMITS.messages_per_second), 1, 100_000)
        per_chat = _int(env, "TELEGRAM_CHAT_MESSAGES_PER_SECOND", int(TELEGRAM_LIMITS.chat_messages_per_second), 1, 1_000)
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            api_url=api_url,
            database=Path("crossroads.db") if postgres_url else database_path(database_url, cwd),
            postgres_url=postgres_url,
            webhook_url=webhook_url,
            webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or DEFAULT_WEBHOOK_LISTEN,
            port=_int(env, "PORT", DEFAULT_PORT, 1, 65535),
            webhook_secret=secret,
            retention_days=_int(env, "SESSION_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 1, 3650),
            log_level=level,
            content_dir=Path(content_dir) if content_dir else None,
            checkin_after_seconds=_int(env, "CHECKIN_AFTER_SECONDS", DEFAULT_CHECKIN_AFTER_SECONDS, 1, 366 * 86_400),
            checkin_poll_seconds=_int(env, "CHECKIN_POLL_SECONDS", DEFAULT_CHECKIN_POLL_SECONDS, 1, 3600),
            console_language=(env.get("LC_ALL") or env.get("LANG") or "").strip(),
            admin_chat_ids=_chat_ids(env.get("ADMIN_CHAT_IDS", "")),
            metrics_port=_int(env, "METRICS_PORT", 0, 0, 65535),
            sentry_dsn=env.get("SENTRY_DSN", "").strip(),
            content_cache_dir=_cache_dir(env),
            flood_limits=FloodLimits(messages_per_second=overall, burst=overall, chat_messages_per_second=per_chat,
                                     chat_burst=max(TELEGRAM_LIMITS.chat_burst, per_chat)),
        )
