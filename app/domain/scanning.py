"""Which way a scan goes, and how far in the future a registration may lie.

``scan_direction`` lives in the top-level ``checkin`` package, shared with the scanner (which
must not import the app); it is re-exported here so the app's code reads its rules from
``app.domain`` (docs/rules.md, "Scan direction").
"""

from __future__ import annotations

from datetime import timedelta

from checkin import Direction, Requested, scan_direction

# A registration may lie at most this far in the future: clocks differ a little (a scanner's,
# the server's); anything later is refused (docs/rules.md, "Registration window"). The one
# definition: the scan, the roll call and every hand registration use it.
FUTURE_MARGIN = timedelta(seconds=60)

__all__ = ["FUTURE_MARGIN", "Direction", "Requested", "scan_direction"]
