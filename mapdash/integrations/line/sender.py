"""Messages to LINE through the Messaging API (line-bot-sdk v3): pushes for the outbox worker,
replies for the webhook.

A push carries X-Line-Retry-Key = the notification's key, so a push resent after a crash is
accepted by LINE once (a repeat answers 409, which is success for us). A reply token can be
used once, so a reply cannot arrive twice either.
"""
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    ImageMessage,
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from urllib3.exceptions import HTTPError as ConnectionProblem

from mapdash.i18n import _l, in_language
from mapdash.integrations.line import is_configured
from mapdash.integrations.notify.delivery import DeliveryError, Outgoing

MAX_TEXT = 5000  # LINE's limit for a text message
# (connect, read) seconds: the webhook answers LINE while it waits for the reply.
TIMEOUT = (3, 10)
# Statuses where trying again later can help; any other refusal is for good. 401: the access
# token was reissued or revoked, the settings' fault, not the message's.
TRANSIENT_STATUSES = {401, 408, 429}


def text_message(text: str) -> TextMessage:
    return TextMessage(text=text[:MAX_TEXT])


def payload_messages(payload: dict) -> list:
    """The LINE messages for an outbox payload: the Thai text with the tracking link, and
    the photo (LINE shows images from https only: otherwise its link goes in the text)."""
    lines = [payload.get("text_th") or payload.get("subject_th") or ""]
    url, photo = payload.get("url"), payload.get("photo_url")
    if url and url not in lines[0]:
        lines.append(url)
    show_photo = isinstance(photo, str) and photo.startswith("https://")
    if photo and not show_photo:
        lines.append(in_language(_l("Photo: %(url)s", url=photo), "th"))
    messages = [text_message("\n".join(line for line in lines if line))]
    if show_photo:
        messages.append(ImageMessage(original_content_url=photo, preview_image_url=photo))
    return messages


def _api_client(config: dict) -> ApiClient:
    settings = Configuration(host=config["LINE_API_BASE_URL"].rstrip("/"),
                             access_token=config["LINE_CHANNEL_ACCESS_TOKEN"])
    settings.retries = False  # the outbox (pushes) and the webhook (replies) decide on retries
    return ApiClient(settings)


def _refusal(exc: ApiException) -> DeliveryError:
    status = exc.status or 0
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    message = f"LINE answered {status}: {(body or exc.reason or '')[:300]}"
    transient = status >= 500 or status in TRANSIENT_STATUSES
    return DeliveryError(message, permanent=not transient)


def deliver(config: dict, outgoing: Outgoing) -> None:
    """Push one outbox message to a LINE user or group. Raises DeliveryError."""
    if not is_configured(config):
        raise DeliveryError("LINE is not configured (LINE_CHANNEL_ACCESS_TOKEN, "
                            "LINE_CHANNEL_SECRET)", permanent=True)
    request = PushMessageRequest(to=outgoing.recipient, messages=payload_messages(outgoing.payload))
    with _api_client(config) as client:
        try:
            MessagingApi(client).push_message_with_http_info(
                request, x_line_retry_key=str(outgoing.key), _request_timeout=TIMEOUT)
        except ApiException as exc:
            headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
            if exc.status == 409 and headers.get("x-line-accepted-request-id"):
                return  # this retry key was accepted before: the message is on its way
            raise _refusal(exc) from None
        except ConnectionProblem as exc:
            raise DeliveryError(f"LINE could not be reached: {exc}") from None


def reply(config: dict, reply_token: str, messages: list) -> None:
    """Answer a webhook event with its reply token (usable once). Raises DeliveryError.

    A 2xx means LINE delivered the reply, whatever its body says: the body is not parsed
    (_preload_content=False), since a body the SDK does not expect would otherwise raise
    after the user already saw the reply, and the event would be answered again."""
    with _api_client(config) as client:
        try:
            MessagingApi(client).reply_message_with_http_info(
                ReplyMessageRequest(reply_token=reply_token, messages=messages),
                _request_timeout=TIMEOUT, _preload_content=False)
        except ApiException as exc:
            raise _refusal(exc) from None
        except ConnectionProblem as exc:
            raise DeliveryError(f"LINE could not be reached: {exc}") from None
