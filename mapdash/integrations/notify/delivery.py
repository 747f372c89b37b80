"""What a channel's sender (e-mail, LINE) is given by the outbox worker, and how it says
that a delivery failed."""
from dataclasses import dataclass, field


class DeliveryError(Exception):
    """The receiving service refused the message or could not be reached.

    `permanent`: retrying cannot help (a malformed address, a LINE user who blocked us), so
    the worker gives up at once; otherwise it retries with backoff."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One message to one recipient, as stored in the outbox."""
    id: int
    key: str          # stable for this notification: LINE's X-Line-Retry-Key, the Message-ID
    channel: str      # "email" or "line"
    recipient: str    # an e-mail address, or a LINE userId / groupId
    # Channel-neutral content: kind, subject_th, subject_en, text_th, text_en, url (the
    # tracking link) and, when there is one, photo_url (absolute, e.g. the after photo).
    payload: dict = field(default_factory=dict)
