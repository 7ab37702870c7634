"""Outgoing mail: composed into the stored outbox, delivered over SMTP by a worker."""
