"""The trainer's laptop scanner: reads participants' QR codes and registers them on the server.

It talks to the server over HTTP only and never imports ``app``; it shares ``qr`` with it.
"""

import os

# OpenCV reports every camera index it fails to open on stderr; the scanner says it in Dutch.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
