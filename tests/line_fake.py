"""A local stand-in for LINE's Messaging API: a real HTTP server in a thread.

It answers POST /v2/bot/message/push and /v2/bot/message/reply as LINE does: a Bearer token
is required, the body and its messages are checked, a push's X-Line-Retry-Key is accepted
once (a repeat answers 409 with x-line-accepted-request-id), a reply token works once.
`fail_next(n)` makes the next n calls answer 500; `refuse_user(user_id)` answers 403 for
pushes to that user (as for someone who blocked the account); `reply_body(raw)` makes accepted
replies answer 200 with that raw body instead of LINE's JSON (a body the SDK does not expect).
What was accepted is kept in `pushes` and `replies`; every call, accepted or not, in `calls`.
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCESS_TOKEN = "fake-line-access-token"
CHANNEL_SECRET = "fake-line-channel-secret"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class FakeLine:
    def __init__(self):
        self.pushes: list[dict] = []
        self.replies: list[dict] = []
        self.calls: list[dict] = []
        self._lock = threading.Lock()
        self._failures = 0
        self._accepted_keys: dict[str, str] = {}
        self._reply_tokens: set[str] = set()
        self._refused_users: set[str] = set()
        self._reply_body: bytes | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures = count

    def refuse_user(self, user_id: str) -> None:
        self._refused_users.add(user_id)

    def reply_body(self, raw: bytes) -> None:
        self._reply_body = raw

    def new_reply_token(self) -> str:
        """A reply token as LINE puts in a webhook event: valid for one reply."""
        token = secrets.token_hex(16)
        self._reply_tokens.add(token)
        return token

    def _answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict, dict | bytes]:
        """(status, response headers, JSON body or raw bytes) for one call."""
        if path not in ("/v2/bot/message/push", "/v2/bot/message/reply"):
            return 404, {}, {"message": "Not found"}
        if headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, {}, {"message": "Authentication failed"}
        with self._lock:
            if self._failures:
                self._failures -= 1
                return 500, {}, {"message": "Internal server error"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {}, {"message": "The request body has 1 error(s)"}
        problem = _message_problem(body.get("messages"))
        if problem:
            return 400, {}, {"message": "The request body has 1 error(s)", "details": [problem]}
        with self._lock:
            if path.endswith("/reply"):
                if body.get("replyToken") not in self._reply_tokens:
                    return 400, {}, {"message": "Invalid reply token"}
                self._reply_tokens.discard(body["replyToken"])
                self.replies.append(body)
                if self._reply_body is not None:
                    return 200, {}, self._reply_body
                return 200, {}, {"sentMessages": [{"id": str(len(self.replies))}]}
            key = headers.get("x-line-retry-key")
            if key is not None and not _UUID.match(key):
                return 400, {}, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}
            if key in self._accepted_keys:
                return 409, {"x-line-accepted-request-id": self._accepted_keys[key]}, {
                    "message": "The retry key is already accepted"}
            if body.get("to") in self._refused_users:
                return 403, {}, {"message": "The user has blocked this account"}
            if not body.get("to"):
                return 400, {}, {"message": "The request body has 1 error(s)"}
            if key is not None:
                self._accepted_keys[key] = str(uuid.uuid4())
            self.pushes.append({**body, "retry_key": key})
            return 200, {}, {"sentMessages": [{"id": str(len(self.pushes))}]}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, body = fake._answer(self.path, headers, raw)
                with fake._lock:
                    fake.calls.append({"path": self.path, "status": status, "headers": headers,
                                       "body": raw.decode("utf-8", "replace")})
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-line-request-id", str(uuid.uuid4()))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep the test output clean
                pass

        return Handler


def _message_problem(messages) -> str | None:
    """What LINE would refuse in a list of message objects, or None."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "messages: between 1 and 5"
    for message in messages:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "text":
            if not message.get("text") or len(message["text"]) > 5000:
                return "text: 1 to 5000 characters"
        elif kind == "image":
            for field in ("originalContentUrl", "previewImageUrl"):
                url = message.get(field) or ""
                if not url.startswith("https://") or len(url) > 2000:
                    return f"{field}: an https URL of at most 2000 characters"
        else:
            return f"type: unsupported {kind!r}"
    return None


def signature(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    """X-Line-Signature as LINE computes it: base64 of HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_body(*events: dict) -> bytes:
    return json.dumps({"destination": "U" + "0" * 32, "events": list(events)},
                      ensure_ascii=False).encode()


def event(kind: str, user: str, reply_token: str | None, *, redelivery: bool = False,
          event_id: str | None = None, **fields) -> dict:
    """A webhook event from a user chatting one to one with the account."""
    return {"type": kind, "mode": "active", "timestamp": 1767225600000,
            "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": redelivery},
            "source": {"type": "user", "userId": user},
            **({"replyToken": reply_token} if reply_token else {}), **fields}


def text_event(user: str, reply_token: str, text: str, **kwargs) -> dict:
    return event("message", user, reply_token, message={"type": "text", "id": "1", "text": text},
                 **kwargs)


def location_event(user: str, reply_token: str, lat: float, lon: float) -> dict:
    return event("message", user, reply_token, message={
        "type": "location", "id": "2", "title": "ตำแหน่งของฉัน", "address": "ถนนสายหลัก",
        "latitude": lat, "longitude": lon})
