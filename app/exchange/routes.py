"""Support's pages for the exchange: connections, deliveries, the one-time push."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exchange", __name__, template_folder="templates", url_prefix="/admin/exchange")
