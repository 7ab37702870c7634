"""Attendance: figures per participant, roll call, incomplete registrations, absences, reports."""

from flask import Blueprint

bp = Blueprint("attendance", __name__, template_folder="templates")

from app.attendance import routes  # noqa: E402,F401
