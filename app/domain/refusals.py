"""The catalogue of refusals: every code the product refuses something with, and its status.

A refusal (``app.errors.Refusal``) carries a stable code for machines and a message for
people. The code is one of these; the HTTP status comes from here, so one reason answers the
same status wherever it is raised (an API client may rely on it) and the OpenAPI description
lists them all. The message stays where the refusal is raised: it says what was refused in
that place, in the reader's language.

The statuses, by what the reason says:
- 400: the request itself is wrong (a field missing or malformed, a file that is not one);
- 401: the caller is not known (a token or a pairing code);
- 403: the caller may not do this;
- 404: there is no such object in the caller's scope;
- 405: the address does not take this method;
- 409: the request conflicts with the state of what it changes (decided, ended, cancelled);
- 410: a link that was good once (used or expired);
- 412 and 428: an edit sent for a version that is not the stored one, or without a version;
- 413: too much at once;
- 422: well-formed, but a rule about time or enrolment refuses it (a scan, a late
  justification);
- 429: too many in a short time;
- 500 and 503: the server failed, or its database is busy (nothing was saved).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """A refusal's code (the member's value) and the status it answers with."""

    status: int

    def __new__(cls, code: str, status: int) -> Reason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        return member

    AFTER_SECOND_SITTING = "after_second_sitting", 400
    AFTER_TERMINATION = "after_termination", 422
    ALREADY_CANCELLED = "already_cancelled", 409
    ALREADY_CORRECTED = "already_corrected", 409
    ALREADY_DECIDED = "already_decided", 409
    ALREADY_ISSUED = "already_issued", 409
    ALREADY_OPEN = "already_open", 409
    ALREADY_REGISTERED = "already_registered", 409
    ALREADY_REVOKED = "already_revoked", 409
    ALREADY_SUBMITTED = "already_submitted", 409
    ATTENDANCE_NOT_YET = "attendance_not_yet", 400
    BAD_DOCUMENT = "bad_document", 400
    BAD_ENTERPRISE_NUMBER = "bad_enterprise_number", 400
    BAD_EVENTS = "bad_events", 400
    BAD_FILE = "bad_file", 400
    BAD_HEADER = "bad_header", 400
    BAD_IDENTIFIER = "bad_identifier", 400
    BAD_LEAVE_REGIME = "bad_leave_regime", 400
    BAD_MAPPING = "bad_mapping", 400
    BAD_RANGE = "bad_range", 400
    BAD_SECRET = "bad_secret", 400
    BAD_SIGNATURE = "bad_signature", 401
    BAD_STAMP = "bad_stamp", 400
    BAD_URL = "bad_url", 400
    BEFORE_CHECK_IN = "before_check_in", 400
    BEFORE_ENROLMENT = "before_enrolment", 422
    BEFORE_SECOND_SITTING = "before_second_sitting", 400
    BOTH_CERTIFIED = "both_certified", 409
    BOTH_REGISTERED = "both_registered", 409
    BREAK_END_BEFORE_START = "break_end_before_start", 400
    BREAK_INCOMPLETE = "break_incomplete", 400
    BREAK_OUTSIDE_SESSION = "break_outside_session", 400
    CANCELLED = "cancelled", 409
    CLOSURE_IN_PAST = "closure_in_past", 400
    CLOSURE_RANGE = "closure_range", 400
    CONFLICT = "conflict", 409
    CONNECTION_PAUSED = "connection_paused", 409
    CONTROL_CHARACTERS = "control_characters", 400
    CSRF = "csrf", 400
    CURSOR_WITH_PAGE = "cursor_with_page", 400
    DATE_OUT_OF_RANGE = "date_out_of_range", 400
    DESCRIPTION_REQUIRED = "description_required", 400
    DESCRIPTION_TOO_LONG = "description_too_long", 400
    DOCUMENT_REQUIRED = "document_required", 400
    DOCUMENT_TOO_LARGE = "document_too_large", 413
    DUE_LIST_CHANGED = "due_list_changed", 409
    DUPLICATE_BRANCH = "duplicate_branch", 400
    DUPLICATE_CLOSURE = "duplicate_closure", 400
    DUPLICATE_EMAIL = "duplicate_email", 409
    DUPLICATE_EXTERNAL_ID = "duplicate_external_id", 409
    DUPLICATE_NATIONAL_NUMBER = "duplicate_national_number", 409
    DUPLICATE_PARTNER = "duplicate_partner", 400
    DUPLICATE_PROJECT_NUMBER = "duplicate_project_number", 409
    DUPLICATE_SUPERVISOR = "duplicate_supervisor", 409
    DURATION_RANGE = "duration_range", 400
    EMPTY_FILE = "empty_file", 400
    END_BEFORE_START = "end_before_start", 400
    ERROR = "error", 500
    EVENT_ID_MISMATCH = "event_id_mismatch", 400
    EXAM_DATES_REQUIRED = "exam_dates_required", 400
    EXAM_DATES_WITHOUT_SECOND_SITTING = "exam_dates_without_second_sitting", 400
    EXEMPT = "exempt", 400
    EXEMPTION_KIND = "exemption_kind", 400
    EXEMPTION_MINUTES = "exemption_minutes", 400
    FIRST_SITTING_END_REQUIRED = "first_sitting_end_required", 400
    FORBIDDEN = "forbidden", 403
    FUTURE = "future", 422
    FUTURE_TIME = "future_time", 422
    GUESSABLE_PASSWORD = "guessable_password", 400
    HANDED_IN_FUTURE = "handed_in_future", 400
    HAS_HISTORY = "has_history", 409
    HAS_REGISTRATIONS = "has_registrations", 409
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", 422
    INCOMPLETE_REGISTRATIONS = "incomplete_registrations", 400
    INTERNAL_ADDRESS = "internal_address", 400
    INVALID_CODE = "invalid_code", 422
    INVALID_CURSOR = "invalid_cursor", 400
    INVALID_EMAIL = "invalid_email", 400
    INVALID_EXTERNAL_ID = "invalid_external_id", 400
    INVALID_JSON = "invalid_json", 400
    INVALID_NATIONAL_NUMBER = "invalid_national_number", 400
    INVALID_REQUEST = "invalid_request", 400
    INVALID_TRAINER = "invalid_trainer", 400
    JUSTIFICATION_LATE = "justification_late", 422
    LAST_BEFORE_FIRST = "last_before_first", 400
    LINE_BREAK = "line_break", 400
    LINK_EXPIRED = "link_expired", 410
    LINK_INVALID = "link_invalid", 404
    LINK_USED = "link_used", 410
    LOCKED = "locked", 409
    METHOD_NOT_ALLOWED = "method_not_allowed", 405
    NAME_REQUIRED = "name_required", 400
    NATIONAL_NUMBER_NOT_ALLOWED = "national_number_not_allowed", 400
    NO_DAYS = "no_days", 400
    NO_EXAM_DATES = "no_exam_dates", 400
    NO_SESSIONS = "no_sessions", 409
    NO_TIME = "no_time", 400
    NO_TRAINER = "no_trainer", 400
    NO_WEEKDAYS = "no_weekdays", 400
    NO_WORK_RELATION = "no_work_relation", 400
    NONCE_REUSED = "nonce_reused", 422
    NOT_CANCELLED = "not_cancelled", 409
    NOT_CHECKED_IN = "not_checked_in", 409
    NOT_CORRECTABLE = "not_correctable", 409
    NOT_DELIVERABLE = "not_deliverable", 409
    NOT_ELEARNING = "not_elearning", 409
    NOT_ENDED = "not_ended", 409
    NOT_ENROLLED = "not_enrolled", 422
    NOT_FOUND = "not_found", 404
    NOT_IN_SECOND_SITTING = "not_in_second_sitting", 400
    NOT_INCOMPLETE = "not_incomplete", 409
    NOT_LOCKED = "not_locked", 409
    NOT_RENEWABLE = "not_renewable", 400
    NOT_REOPENED = "not_reopened", 409
    NOT_RETRYABLE = "not_retryable", 409
    NOT_YET_CLOSED = "not_yet_closed", 409
    NOTHING_CHOSEN = "nothing_chosen", 400
    NOTHING_WAITING = "nothing_waiting", 409
    ONE_TRAINING = "one_training", 400
    ORGANISATION_REQUIRED = "organisation_required", 400
    OTHER_BRANCH = "other_branch", 403
    OUT_OF_RANGE = "out_of_range", 400
    OUTSIDE_SESSION = "outside_session", 400
    OVER_24_HOURS = "over_24_hours", 422
    OVERLAP = "overlap", 409
    OWN_ACCOUNT = "own_account", 400
    OWN_BRANCH = "own_branch", 400
    OWN_ROLE = "own_role", 400
    OWN_SUPERVISOR = "own_supervisor", 422
    PAIRING_EXPIRED = "pairing_expired", 401
    PAIRING_UNKNOWN = "pairing_unknown", 401
    PAIRING_USED = "pairing_used", 401
    PARTICIPANT_ENDED = "participant_ended", 409
    PERIOD_NOT_OVER = "period_not_over", 400
    PERIOD_REQUIRED = "period_required", 400
    PRECONDITION_REQUIRED = "precondition_required", 428
    PROJECT_HAS_REGISTRATIONS = "project_has_registrations", 409
    RATE_LIMITED = "rate_limited", 429
    REASON_REQUIRED = "reason_required", 400
    REGISTRATION_CLOSED = "registration_closed", 422
    REGISTRATIONS_OUTSIDE = "registrations_outside", 409
    REMINDED = "reminded", 400
    REQUIRED = "required", 400
    REVOKED_CODE = "revoked_code", 422
    SAME_PARTICIPANT = "same_participant", 400
    SAME_PASSWORD = "same_password", 400
    SECOND_NOT_AFTER_FIRST = "second_not_after_first", 400
    SECOND_SITTING_END_REQUIRED = "second_sitting_end_required", 400
    SECOND_WITHOUT_FIRST = "second_without_first", 400
    SESSIONS_PLANNED = "sessions_planned", 409
    SEVERAL_RECORDS = "several_records", 400
    STALE = "stale", 412
    TOO_EARLY = "too_early", 422
    TOO_LARGE = "too_large", 413
    TOO_LONG = "too_long", 400
    TOO_MANY_EXAM_DATES = "too_many_exam_dates", 400
    TOO_MANY_ROWS = "too_many_rows", 413
    TRAINER_BUSY = "trainer_busy", 409
    TRAINING_NOT_OVER = "training_not_over", 400
    UNAUTHORIZED = "unauthorized", 401
    UNAVAILABLE = "unavailable", 503
    UNKNOWN_BRANCH = "unknown_branch", 400
    UNKNOWN_CODE = "unknown_code", 422
    UNKNOWN_HOST = "unknown_host", 400
    UNKNOWN_PARTICIPANT = "unknown_participant", 422
    UNKNOWN_SESSION = "unknown_session", 404
    UPLOAD_BYTES_LIMIT = "upload_bytes_limit", 429
    UPLOAD_LIMIT = "upload_limit", 429
    VOV_REGISTERS = "vov_registers", 400
    WEAK_PASSWORD = "weak_password", 400
    WRONG_IDENTIFIER = "wrong_identifier", 422
    WRONG_PASSWORD = "wrong_password", 400


BY_CODE: dict[str, Reason] = {member.value: member for member in Reason}


def status_of(code: str, default: int = 400) -> int:
    """The status of a code in the catalogue (``default`` for one that is not, which
    tests/unit/test_refusals.py refuses for any code the app raises)."""
    member = BY_CODE.get(code)
    return member.status if member is not None else default
