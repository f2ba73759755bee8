"""A stand-in for a real SMS gateway (the edge of the world): it keeps what it was asked to send."""

from tongban.notifications.models import Message

name = "tongban.notifications.tests.fake_gateway"
stores_secrets = False
sent: list[tuple[str, str]] = []


def send(message: Message, *, body: str) -> None:
    sent.append((message.to, body))
