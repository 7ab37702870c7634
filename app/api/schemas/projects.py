"""Projects."""

from typing import Annotated

from app.api.editing import version_of
from app.api.schemas.fields import Answer, Request, Text
from app.models import (
    Branch,
    Project,
)


class ProjectCreate(Request):
    name: Annotated[str, Text(Project.name)]
    number: Annotated[str, Text(Project.number)]
    branch: Annotated[str | None, Text(Branch.name, required=False)] = None


class ProjectOut(Answer):
    id: int
    name: str
    number: str
    branch: str
    # The stored state's version: send it back (If-Match, or ``version``) to change it.
    version: str

    @classmethod
    def of(cls, project: Project) -> "ProjectOut":
        return cls(
            id=project.id,
            name=project.name,
            number=project.number,
            branch=project.branch.name,
            version=version_of(project),
        )


class ProjectPatch(Request):
    """A JSON merge patch (RFC 7396): only the fields given change."""

    name: Annotated[str | None, Text(Project.name, required=False)] = None
    number: Annotated[str | None, Text(Project.number, required=False)] = None
    branch: Annotated[str | None, Text(Branch.name, required=False)] = None
    version: Annotated[str | None, Text(100, required=False)] = None
