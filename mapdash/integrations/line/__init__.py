"""The LINE Official Account: the webhook's answers (webhook.py), pushes and replies through
the Messaging API (sender.py), and the signed link that carries a LINE user to the report
form (links.py). All optional: without a channel secret and access token LINE is off."""


def is_configured(config) -> bool:
    """True when the Messaging API channel is set up (secret and access token)."""
    return bool(config.get("LINE_CHANNEL_SECRET") and config.get("LINE_CHANNEL_ACCESS_TOKEN"))
