"""A justification's document as a download: for the staff page and the API alike."""

from __future__ import annotations

from flask import Response, send_file

from app.attendance.operations import document_download_name, upload_folder
from app.errors import NotFound
from app.models import Justification


def justification_document(justification: Justification) -> Response:
    """The stored file, never cached and never sniffed into something else (the caller checked
    who may read it); 404 when the justification has none or the file is gone."""
    if justification.document_path is None:
        raise NotFound("document")
    path = upload_folder() / justification.document_path
    if not path.is_file():
        raise NotFound("document")
    response = send_file(
        path,
        mimetype=justification.document_type,
        as_attachment=True,
        download_name=document_download_name(justification),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
