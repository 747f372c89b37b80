"""A real SMTP server for the tests (aiosmtpd on a free local port) that keeps what it
accepted, and can be told to refuse, to hold a message, or to offer STARTTLS."""
import asyncio
import email
import email.policy
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    message: email.message.EmailMessage
    recipients: list[str]
    tls: bool


@dataclass
class Mailbox:
    """The server's behaviour and what it accepted (a 250 to DATA)."""
    received: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)  # answered instead of 250, in order
    refused_recipients: set[str] = field(default_factory=set)  # 550 at RCPT
    hold_message: int | None = None  # the n-th DATA (1-based) waits for `release`
    accept_held: bool = False  # the held message is then accepted (a slow server), not refused
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    data_count: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        if self.data_count == self.hold_message:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            if not self.accept_held:
                # The client is gone by now; what a server never answered 250 to is not accepted.
                return "451 4.3.0 Try again later"
        if self.data_replies:
            return self.data_replies.pop(0)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(message, list(envelope.rcpt_tos), session.ssl is not None))
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


class SmtpServer:
    def __init__(self, tls_context=None, password: str | None = None):
        """`password`: the server asks every client to log in (any user, this password),
        after STARTTLS (give a `tls_context`)."""
        self.mailbox = Mailbox()
        self.port = free_port()
        kwargs = {"tls_context": tls_context, "require_starttls": False} if tls_context else {}
        if password is not None:
            def authenticator(server, session, envelope, mechanism, login):
                return AuthResult(success=login.password == password.encode(), handled=False)
            kwargs.update(authenticator=authenticator, auth_required=True)
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port,
                                     **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.mailbox.release.set()
        self.controller.stop()

    def settings(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port,
                "SMTP_FROM": "แจ้งเรื่อง <noreply@tambon.example>"}


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost made by openssl, and its key."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key
