"""Errors that reach a user carry the same message in Thai and in English."""


class UserError(ValueError):
    """Bad input or a refused action: answered with a 4xx and both messages, never a 500."""

    status = 400

    def __init__(self, code: str, message_th: str, message_en: str, *, field: str | None = None,
                 status: int | None = None):
        super().__init__(message_en)
        self.code = code
        self.message_th = message_th
        self.message_en = message_en
        self.field = field
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return {"error": self.code, "message_th": self.message_th, "message_en": self.message_en,
                "field": self.field}
