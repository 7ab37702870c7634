"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import gc

from app import create_app

app = create_app()
# The application's own objects (templates, catalogues, mappers) live as long as the process:
# leave them out of the garbage collector's full passes, which otherwise show as latency spikes.
gc.freeze()
