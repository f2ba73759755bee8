"""One-time codes reach the phone but never the log, and a real gateway's stored copy has them blanked."""

import logging

import pytest
from django.db import transaction

from tongban.notifications.models import Message
from tongban.notifications.services import sms_send
from tongban.notifications.tests import fake_gateway


@pytest.mark.django_db(transaction=True)
def test_outbox_keeps_the_code_for_its_page_but_the_console_line_blanks_it(caplog):
    caplog.set_level(logging.INFO, logger="tongban.sms.outbox")
    with transaction.atomic():
        sms_send(
            to_phone="13800000001", body="您的验证码是 493817，5分钟内有效。", purpose="t", secret="493817"
        )
    message = Message.objects.get()
    assert message.body == "您的验证码是 493817，5分钟内有效。"  # the dev outbox page shows it
    assert message.state == Message.State.SENT
    assert "493817" not in caplog.text
    assert "您的验证码是 ******" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_real_gateway_delivers_the_code_but_we_store_it_blanked(settings):
    settings.SMS_BACKEND = fake_gateway.name
    fake_gateway.sent.clear()
    with transaction.atomic():
        sms_send(to_phone="13800000002", body="取件码 204113，请凭码取件。", purpose="t", secret="204113")
    assert fake_gateway.sent == [("13800000002", "取件码 204113，请凭码取件。")]
    message = Message.objects.get()
    assert message.body == "取件码 ******，请凭码取件。"
    assert message.state == Message.State.SENT


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_action_sends_nothing(settings):
    settings.SMS_BACKEND = fake_gateway.name
    fake_gateway.sent.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        sms_send(to_phone="13800000002", body="hello", purpose="t")
        raise RuntimeError("the action failed")
    assert fake_gateway.sent == []
    assert Message.objects.count() == 0
