"""What one area announces and another listens to, so that neither imports the other: the
scan path says that it wrote a registration, attendance that a roll-call mark, an exemption or
a justification changed a participant's state; the exchange (wired in ``create_app``) turns
that into events for the administration package, in the same transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the written row (a mapping), ``registration_id`` and ``now``.
registration_written = _signals.signal("registration-written")

# Sent with the change's source ("mark", "exemption", "justification") and, as keywords, its
# ``source_id``, ``session_id``, ``participant_id``, ``registered_at``, ``state`` and ``remark``.
attendance_changed = _signals.signal("attendance-changed")
