"""The trainer's laptop scanner: reads participants' QR codes and registers them on the server.

It talks to the server over HTTP only and never imports ``app``; it shares ``qr`` with it.
"""
