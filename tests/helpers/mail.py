"""A real SMTP inbox (aiosmtpd) and delivering the outbox to it."""

from __future__ import annotations

import email
import email.policy
import threading

import cv2
import numpy as np
import zxingcpp

from app.clock import clock_of
from app.mail.outbox import deliver_pending
from app.settings import settings_of
from tests.processes import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.received.set()
        return "250 OK"


# One port for the whole run: each test's ``inbox`` fixture listens on it while the test runs.
SMTP_PORT = free_port()
# The settings that send the app's mail to the ``inbox`` fixture, retrying after a second.
MAIL_TO_INBOX = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": SMTP_PORT, "MAIL_RETRY_SECONDS": 1}


def decode_png(png: bytes) -> list[str]:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return [result.text for result in zxingcpp.read_barcodes(image)]


def deliver(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        deliver_pending(clock_of(app), settings_of(app))
