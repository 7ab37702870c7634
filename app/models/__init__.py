"""All models, imported here so Alembic and the app see one metadata."""

from app.models.attendance import (
    Certificate,
    CertificateKind,
    Exemption,
    Justification,
    JustificationKind,
    RollCallMark,
    TrainingEnrolment,
)
from app.models.audit import AuditRecord
from app.models.base import Base
from app.models.calendar import CalendarFeed
from app.models.devices import PairingToken
from app.models.exchange import ExchangeConnection, ExchangeEvent, ExchangePush
from app.models.idempotency import IdempotencyKey
from app.models.jobs import DailyRun, DigestSent, Job, WorkerHeartbeat
from app.models.links import PasswordReset, PortalSignIn
from app.models.org import ApiToken, Branch, Organisation, PartnerOrganisation, Role, User
from app.models.outbox import OutboxMail
from app.models.people import Enrolment, Participant, Supervisor
from app.models.planning import ClosureDay, Project, Session, Training, TrainingKind, TrainingMode
from app.models.registrations import Kind, RefusedScan, Registration, ScanReceipt, Source
from app.models.selfreports import (
    JustificationRequest,
    RequestState,
    SelfReport,
    SelfReportDecision,
)

__all__ = [
    "ApiToken",
    "AuditRecord",
    "Base",
    "Branch",
    "CalendarFeed",
    "Certificate",
    "CertificateKind",
    "ClosureDay",
    "DailyRun",
    "DigestSent",
    "Enrolment",
    "ExchangeConnection",
    "ExchangeEvent",
    "ExchangePush",
    "Exemption",
    "IdempotencyKey",
    "Job",
    "Justification",
    "JustificationKind",
    "JustificationRequest",
    "Kind",
    "Organisation",
    "OutboxMail",
    "PairingToken",
    "Participant",
    "PartnerOrganisation",
    "PasswordReset",
    "PortalSignIn",
    "Project",
    "RefusedScan",
    "Registration",
    "RequestState",
    "Role",
    "RollCallMark",
    "ScanReceipt",
    "SelfReport",
    "SelfReportDecision",
    "Session",
    "Source",
    "Supervisor",
    "Training",
    "TrainingEnrolment",
    "TrainingKind",
    "TrainingMode",
    "User",
    "WorkerHeartbeat",
]
