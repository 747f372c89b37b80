"""Pushes to LINE for the outbox worker, against the local fake LINE API."""
import uuid

import pytest

from mapdash.integrations.line import sender
from mapdash.integrations.notify.delivery import DeliveryError, Outgoing
from tests.line_fake import ACCESS_TOKEN

USER = "U" + "a" * 32


@pytest.fixture
def config(fake_line):
    return {"LINE_API_BASE_URL": fake_line.url, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_CHANNEL_SECRET": "s"}


def outgoing(**payload) -> Outgoing:
    content = {"kind": "resolved", "subject_th": "เรื่อง ABCD-2345 แก้ไขแล้ว",
               "text_th": "เรื่อง ABCD-2345 ของคุณแก้ไขเสร็จแล้ว", "text_en": "Case ABCD-2345 is fixed",
               "url": "https://mapdash.example/track/ABCD-2345", **payload}
    return Outgoing(id=1, key=str(uuid.uuid4()), channel="line", recipient=USER, payload=content)


def test_push_sends_the_thai_text_with_the_link_and_the_photo(config, fake_line):
    message = outgoing(photo_url="https://mapdash.example/photos/9/after.jpg")
    sender.deliver(config, message)
    [push] = fake_line.pushes
    assert push["to"] == USER and push["retry_key"] == message.key
    text, image = push["messages"]
    assert text == {"type": "text", "text": "เรื่อง ABCD-2345 ของคุณแก้ไขเสร็จแล้ว\n"
                                            "https://mapdash.example/track/ABCD-2345"}
    assert image["type"] == "image"
    assert image["originalContentUrl"] == image["previewImageUrl"] == message.payload["photo_url"]


def test_a_photo_over_plain_http_goes_into_the_text(config, fake_line):
    sender.deliver(config, outgoing(photo_url="http://localhost:5000/photos/9/after.jpg"))
    [push] = fake_line.pushes
    assert [m["type"] for m in push["messages"]] == ["text"]
    assert push["messages"][0]["text"].endswith("รูปภาพ: http://localhost:5000/photos/9/after.jpg")


def test_a_resend_with_the_same_key_is_accepted_once(config, fake_line):
    message = outgoing()
    sender.deliver(config, message)
    sender.deliver(config, message)  # 409 from LINE: already accepted, which is success
    assert len(fake_line.pushes) == 1
    assert [call["status"] for call in fake_line.calls] == [200, 409]


def test_a_server_error_is_transient_and_the_retry_delivers(config, fake_line):
    fake_line.fail_next(2)
    message = outgoing()
    for _ in range(2):
        with pytest.raises(DeliveryError) as failed:
            sender.deliver(config, message)
        assert not failed.value.permanent and "500" in str(failed.value)
    sender.deliver(config, message)
    assert len(fake_line.pushes) == 1


def test_a_user_who_blocked_the_account_is_a_permanent_failure(config, fake_line):
    fake_line.refuse_user(USER)
    with pytest.raises(DeliveryError) as failed:
        sender.deliver(config, outgoing())
    assert failed.value.permanent and "403" in str(failed.value)
    assert fake_line.pushes == []


def test_a_wrong_access_token_is_retried_until_the_setting_is_fixed(config, fake_line):
    """A 401 is the settings' fault (a reissued token), not the message's: like an SMTP
    login refused, it must not fail every waiting message for good."""
    message = outgoing()
    with pytest.raises(DeliveryError) as failed:
        sender.deliver({**config, "LINE_CHANNEL_ACCESS_TOKEN": "wrong"}, message)
    assert not failed.value.permanent and "401" in str(failed.value)
    sender.deliver(config, message)
    assert len(fake_line.pushes) == 1


def test_an_unreachable_line_is_transient(config, fake_line):
    fake_line.stop()
    with pytest.raises(DeliveryError) as failed:
        sender.deliver(config, outgoing())
    assert not failed.value.permanent


def test_without_line_settings_nothing_is_sent(config, fake_line):
    with pytest.raises(DeliveryError) as failed:
        sender.deliver({**config, "LINE_CHANNEL_SECRET": ""}, outgoing())
    assert failed.value.permanent and "not configured" in str(failed.value)
    assert fake_line.calls == []
