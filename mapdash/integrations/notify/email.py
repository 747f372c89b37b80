"""The e-mail channel: one message per notification through the SMTP server of the settings.

STARTTLS is used whenever the server offers it (SMTP_PORT 465: TLS from the first byte), a
login only when SMTP_USER is set; the certificate is checked against the system's CAs plus
SMTP_CA_FILE, unless SMTP_TLS_VERIFY=0.
The Message-ID is made from the notification's key, so a message resent after a crash is
recognisably the same message.
"""
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from html import escape

from mapdash.integrations.notify.delivery import DeliveryError, Outgoing


def deliver(config: dict, outgoing: Outgoing) -> None:
    """Send `outgoing` or raise DeliveryError (permanent when the server refuses for good)."""
    if not config.get("SMTP_HOST") or not config.get("SMTP_FROM"):
        raise DeliveryError("SMTP_HOST and SMTP_FROM are not set")
    message = build_message(config, outgoing)
    try:
        smtp = _connect(config)
    except (smtplib.SMTPException, OSError) as exc:
        # Cannot connect, TLS or login refused (535): the server or our settings, not this
        # message. Retried with backoff; the error shows on the admin page meanwhile.
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    try:
        with smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise DeliveryError(f"{code} {_text(reply)}", permanent=500 <= code < 600) from None
    except smtplib.SMTPResponseException as exc:
        # 4xx: try again later (greylisting, a full queue, 421 closing); 5xx: refused for good.
        raise DeliveryError(f"{exc.smtp_code} {_text(exc.smtp_error)}",
                            permanent=500 <= exc.smtp_code < 600) from None
    except (smtplib.SMTPException, OSError) as exc:  # dropped mid-message
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None


def _connect(config: dict) -> smtplib.SMTP:
    host, port, timeout = config["SMTP_HOST"], int(config["SMTP_PORT"]), config["SMTP_TIMEOUT"]
    context = tls_context(config)
    smtp: smtplib.SMTP
    if port == 465:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if port != 465 and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


def tls_context(config: dict) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if config.get("SMTP_CA_FILE"):
        context.load_verify_locations(cafile=config["SMTP_CA_FILE"])
    if not config.get("SMTP_TLS_VERIFY", True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def build_message(config: dict, outgoing: Outgoing) -> EmailMessage:
    payload = outgoing.payload
    message = EmailMessage()
    message["Subject"] = f"{payload['subject_th']} / {payload['subject_en']}"
    message["From"] = config["SMTP_FROM"]
    if config.get("SMTP_REPLY_TO"):  # where a citizen's "reply" goes: not to noreply@
        message["Reply-To"] = config["SMTP_REPLY_TO"]
    message["To"] = outgoing.recipient
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(config, outgoing)
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a notice
    # base64: Thai text in 7-bit form, as every server takes (no 8BITMIME needed)
    message.set_content(f"{payload['text_th']}\n\n--- English ---\n\n{payload['text_en']}\n"
                        + (f"\n{payload['photo_url']}\n" if payload.get("photo_url") else ""),
                        cte="base64")
    message.add_alternative(_html(payload), subtype="html", cte="base64")
    return message


def message_id(config: dict, outgoing: Outgoing) -> str:
    domain = config["SMTP_FROM"].rpartition("@")[2].strip(" >") or socket.getfqdn()
    return f"<{outgoing.key}@{domain}>"


def _html(payload: dict) -> str:
    def paragraphs(text: str) -> str:
        return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
    url = escape(payload["url"])
    photo = (f'<p><img src="{escape(payload["photo_url"])}" alt="" style="max-width:100%"></p>'
             if payload.get("photo_url") else "")
    # The reporter's own link to rate the result (cases/ratings.py), clickable in every client.
    rate = (f'<p><a href="{escape(payload["rate_url"])}">{escape(payload["rate_url"])}</a></p>'
            if payload.get("rate_url") else "")
    return (f'<!doctype html><html><body style="font-family:sans-serif">'
            f'<div lang="th">{paragraphs(payload["text_th"])}</div>{photo}'
            f'<p><a href="{url}">{url}</a></p>{rate}<hr>'
            f'<div lang="en" style="color:#555">{paragraphs(payload["text_en"])}</div>'
            f'</body></html>')


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
