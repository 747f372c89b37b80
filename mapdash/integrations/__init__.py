"""The outside world: Open311 GeoReport v2, the LINE Official Account, and the notification
outbox with its e-mail and LINE senders."""
