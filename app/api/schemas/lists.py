"""One page of each resource: its items, the page and the total."""

from pydantic import (
    BaseModel,
)

from app.api.schemas.fields import Answer
from app.api.schemas.participants import ParticipantOut
from app.api.schemas.projects import ProjectOut
from app.api.schemas.registrations import RegistrationOut
from app.api.schemas.sessions import SessionOut
from app.api.schemas.supervision import SelfReportOut, SupervisorOut
from app.api.schemas.trainings import TrainingOut


def items_of(model: type[BaseModel]) -> type[BaseModel]:
    """The answer of a list: ``{"items": [...]}``."""
    return _LISTS[model]


class ProjectList(Answer):
    items: list[ProjectOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class TrainingList(Answer):
    items: list[TrainingOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class SessionList(Answer):
    items: list[SessionOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class ParticipantList(Answer):
    items: list[ParticipantOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class RegistrationList(Answer):
    items: list[RegistrationOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class SupervisorList(Answer):
    items: list[SupervisorOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class SelfReportList(Answer):
    items: list[SelfReportOut]
    # Paged lists (see Paging): the number of items in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


_LISTS: dict[type[BaseModel], type[BaseModel]] = {
    SupervisorOut: SupervisorList,
    SelfReportOut: SelfReportList,
    ProjectOut: ProjectList,
    TrainingOut: TrainingList,
    SessionOut: SessionList,
    ParticipantOut: ParticipantList,
    RegistrationOut: RegistrationList,
}
