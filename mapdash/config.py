"""Settings, read from the environment. Imports nothing from the app."""
import os
import secrets
from pathlib import Path

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MAPDASH_VAR", PROJECT_ROOT / "var"))


def _dev_secret_key() -> str:
    """A random key kept under var/ so development sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(overrides: dict | None = None) -> dict:
    """The settings from the environment, with `overrides` (tests, scripts) on top."""
    overrides = overrides or {}
    env = overrides.get("ENV") or os.environ.get("MAPDASH_ENV", "production")
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if env != "development":
            raise RuntimeError("SECRET_KEY must be set outside development (MAPDASH_ENV=development)")
        secret = _dev_secret_key()
    settings = {
        "ENV": env,
        "SECRET_KEY": secret,
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        # A streaming-replication standby for the map's reads (docs/scaling.md); none: the
        # primary answers everything. An unreachable standby falls back to the primary.
        "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL", ""),
        # The live screens' one LISTEN connection per process: straight to PostgreSQL, not
        # through PgBouncer in transaction mode (which would drop the LISTEN); default DATABASE_URL.
        "LIVE_LISTEN_URL": os.environ.get("LIVE_LISTEN_URL", ""),
        # An open live stream sends a comment this often, so proxies keep it and a dead
        # client is noticed.
        "LIVE_HEARTBEAT_SECONDS": float(os.environ.get("LIVE_HEARTBEAT_SECONDS", 15)),
        # A live stream ends after this long and the page opens a new one (its sign-in is
        # checked again).
        "LIVE_STREAM_SECONDS": float(os.environ.get("LIVE_STREAM_SECONDS", 600)),
        "PHOTO_DIR": os.environ.get("PHOTO_DIR", str(VAR_DIR / "photos")),
        # Citizens' private documents (cases/documents.py): never under static/, never public.
        "DOCUMENT_DIR": os.environ.get("DOCUMENT_DIR", str(VAR_DIR / "documents")),
        # Tiles are decoration: pages must work when this host cannot be reached.
        "TILE_URL": os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "TILE_ATTRIBUTION": os.environ.get("TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"),
        "DEFAULT_ORG": os.environ.get("DEFAULT_ORG", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_SECURE": env == "production",
        # argon2 cost of new password hashes (a hash keeps its own, so old ones still verify).
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", DEFAULT_TIME_COST)),
        "ARGON2_MEMORY_KIB": int(os.environ.get("ARGON2_MEMORY_KIB", DEFAULT_MEMORY_COST)),
        "ARGON2_PARALLELISM": int(os.environ.get("ARGON2_PARALLELISM", DEFAULT_PARALLELISM)),
        # Failed sign-ins in a row of one e-mail before each try waits (30 s, doubling, at most 15 min).
        "SIGNIN_ACCOUNT_FAILURES": int(os.environ.get("SIGNIN_ACCOUNT_FAILURES", 5)),
        # The same for one client address, over every e-mail it tries (offices share one address).
        "SIGNIN_ADDRESS_FAILURES": int(os.environ.get("SIGNIN_ADDRESS_FAILURES", 30)),
        # A staff session ends after this many hours without a request (a morning without signal is fine).
        "SESSION_IDLE_HOURS": float(os.environ.get("SESSION_IDLE_HOURS", 4)),
        # ... and this many hours after signing in, however busy (a working day with overtime).
        "SESSION_MAX_HOURS": float(os.environ.get("SESSION_MAX_HOURS", 12)),
        # A one-time link to choose a password (a new account's, a reset's) works this long.
        "PASSWORD_LINK_HOURS": float(os.environ.get("PASSWORD_LINK_HOURS", 72)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", 60 * 1024 * 1024)),
        # The largest village boundary file an administrator may upload at /admin/villages.
        "VILLAGE_UPLOAD_BYTES": int(os.environ.get("VILLAGE_UPLOAD_BYTES", 20 * 1024 * 1024)),
        # Citizens' reports per client address per 10 minutes (ratelimit.py): accepted ones,
        # and refused attempts apart (a citizen correcting mistakes is not locked out).
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_REPORTS": int(os.environ.get("RATELIMIT_REPORTS", 10)),
        "RATELIMIT_REFUSED": int(os.environ.get("RATELIMIT_REFUSED", 30)),
        # Open data downloads running at once per client address (maps/opendata.py): each
        # holds a database connection while it streams.
        "OPENDATA_DOWNLOADS_PER_ADDRESS": int(os.environ.get("OPENDATA_DOWNLOADS_PER_ADDRESS", 2)),
        # Open311 POST requests per API key per minute.
        "OPEN311_RATELIMIT_PER_MINUTE": int(os.environ.get("OPEN311_RATELIMIT_PER_MINUTE", 60)),
        # An Open311 POST identical to one of the same key this recent, sent without an
        # Idempotency-Key, is that request sent again (a client's retry): answered its id.
        "OPEN311_SAME_REQUEST_MINUTES": float(os.environ.get("OPEN311_SAME_REQUEST_MINUTES", 10)),
        # Reverse proxies in front of the app (nginx, Caddy): their X-Forwarded-* headers
        # give the client's address and the https links printed in QR codes.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", 0)),
        # Crews: a closing farther than this from the case is flagged for review; cases this
        # near to the crew appear on their map besides their own.
        "EVIDENCE_MAX_DISTANCE_M": float(os.environ.get("EVIDENCE_MAX_DISTANCE_M", 200)),
        "CREW_NEARBY_M": float(os.environ.get("CREW_NEARBY_M", 5000)),
        # What a map tile weighs on average, to fit a crew's offline map pack in its cap before
        # downloading (OpenStreetMap's tiles of hills and fields: 5-25 kB); the phone counts
        # the real sizes and stops at the cap.
        "MAP_PACK_TILE_BYTES": int(os.environ.get("MAP_PACK_TILE_BYTES", 20_000)),
        # The LINE Official Account (Messaging API channel): optional. Without the secret and
        # the token the webhook answers 404 and nothing is sent to LINE.
        "LINE_CHANNEL_SECRET": os.environ.get("LINE_CHANNEL_SECRET", ""),
        "LINE_CHANNEL_ACCESS_TOKEN": os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
        "LINE_API_BASE_URL": os.environ.get("LINE_API_BASE_URL", "https://api.line.me"),
        # Notifications (mapdash/integrations/notify): the links in messages sent outside a request; in
        # production the worker refuses to start without it (requests fall back to their host).
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/") or (
            f"http://127.0.0.1:{os.environ.get('PORT', '5000')}" if env == "development" else ""),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", 587)),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": os.environ.get("SMTP_FROM", ""),
        # Where replies to a message go (e.g. the office's mailbox); none: to SMTP_FROM.
        "SMTP_REPLY_TO": os.environ.get("SMTP_REPLY_TO", ""),
        # A private CA (PEM) to trust besides the system's; SMTP_TLS_VERIFY=0 trusts any
        # certificate (a test server only).
        "SMTP_CA_FILE": os.environ.get("SMTP_CA_FILE", ""),
        "SMTP_TLS_VERIFY": os.environ.get("SMTP_TLS_VERIFY", "1") != "0",
        "SMTP_TIMEOUT": float(os.environ.get("SMTP_TIMEOUT", 30)),
        # 30 tries, 30 s apart doubling up to an hour: a mail server or LINE down for most
        # of a day still delivers; only then is a message 'failed' (admins retry it).
        "NOTIFY_MAX_ATTEMPTS": int(os.environ.get("NOTIFY_MAX_ATTEMPTS", 30)),
        "NOTIFY_BACKOFF_SECONDS": float(os.environ.get("NOTIFY_BACKOFF_SECONDS", 30)),
        "NOTIFY_BACKOFF_MAX_SECONDS": float(os.environ.get("NOTIFY_BACKOFF_MAX_SECONDS", 3600)),
        # A message left 'sending' this long by a worker that died is sent again (same key).
        "NOTIFY_LEASE_SECONDS": float(os.environ.get("NOTIFY_LEASE_SECONDS", 300)),
        # How long a worker with nothing to send waits before it looks again; and, in a
        # database outage, its first wait before trying again, doubling up to the longest.
        "NOTIFY_IDLE_SECONDS": float(os.environ.get("NOTIFY_IDLE_SECONDS", 2)),
        "NOTIFY_RECONNECT_SECONDS": float(os.environ.get("NOTIFY_RECONNECT_SECONDS", 1)),
        "NOTIFY_RECONNECT_MAX_SECONDS": float(os.environ.get("NOTIFY_RECONNECT_MAX_SECONDS", 60)),
        # How often the notification worker removes photo files older than an hour that no
        # row points at (left by a crash mid-upload); 0: never.
        "PHOTO_SWEEP_MINUTES": float(os.environ.get("PHOTO_SWEEP_MINUTES", 60)),
    }
    settings.update(overrides)
    return settings
