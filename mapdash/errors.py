"""Errors that reach a user: a code for programs, and a message shown in Thai and English."""
from mapdash.i18n import LazyText, _l, both

# Refusals several places give.
LOGIN_REQUIRED = _l("Please sign in first")
FORBIDDEN = _l("Your account may not open this page")
NOT_FOUND = _l("Page not found")
TOO_LARGE = _l("The upload is too large")
FORM_EXPIRED = _l("The form expired: reload the page and try again")
DATABASE_UNAVAILABLE = _l("The service is briefly unavailable: please try again in a moment. "
                          "In an emergency call 1669, 191 or 199.")


class UserError(ValueError):
    """Bad input or a refused action: answered with a 4xx and both messages, never a 500 (and
    the database briefly unreachable: a 503, views/errors.py).

    `message` is a lazy message (`_l(...)`): it is rendered in each language when answered."""

    status = 400

    def __init__(self, code: str, message: LazyText, *, field: str | None = None,
                 status: int | None = None, retry_after: int | None = None):
        self.code = code
        self.retry_after = retry_after  # seconds, for a Retry-After header (429, 503)
        self.message = message
        self.message_th, self.message_en = both(message)
        super().__init__(self.message_en)
        self.field = field
        if status is not None:
            self.status = status

    def headers(self) -> dict[str, str]:
        """What the answer adds to its headers: when to try again (429, 503)."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def as_dict(self) -> dict:
        return {"error": self.code, "message_th": self.message_th, "message_en": self.message_en,
                "field": self.field}
