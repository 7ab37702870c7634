"""Trainings."""

from typing import Annotated

from app.api.editing import version_of
from app.api.schemas.fields import Answer, Choice, IdField, OptionalChoice, Request, Text, TextList
from app.attendance.figures import method_of
from app.domain.thresholds import HoursMethod
from app.models import (
    Training,
    TrainingMode,
    User,
)


class TrainingCreate(Request):
    project_id: Annotated[int, IdField()]
    name: Annotated[str, Text(Training.name)]
    code: Annotated[str, Text(Training.code, required=False, default="")] = ""
    mode: Annotated[TrainingMode, Choice(TrainingMode, default=TrainingMode.CLASSROOM)] = (
        TrainingMode.CLASSROOM
    )
    trainers: Annotated[list[str], TextList(User.email)] = []
    # How hours present are counted: the registered time, or whole lessons (docs/rules.md).
    hours_method: Annotated[HoursMethod, Choice(HoursMethod, default="registered")] = "registered"


class TrainingOut(Answer):
    id: int
    project_id: int
    name: str
    code: str
    mode: TrainingMode
    trainers: list[str]
    hours_method: HoursMethod
    version: str

    @classmethod
    def of(cls, training: Training) -> "TrainingOut":
        return cls(
            id=training.id,
            project_id=training.project_id,
            name=training.name,
            code=training.code,
            mode=training.mode,
            trainers=[user.email for user in training.trainers],
            hours_method=method_of(training),
            version=version_of(training),
        )


class TrainingPatch(Request):
    """A JSON merge patch (RFC 7396): only the fields given change; ``trainers`` given is the
    whole new list."""

    name: Annotated[str | None, Text(Training.name, required=False)] = None
    code: Annotated[str | None, Text(Training.code, required=False, default="")] = None
    mode: Annotated[TrainingMode | None, OptionalChoice(TrainingMode)] = None
    trainers: Annotated[list[str], TextList(User.email)] = []
    hours_method: Annotated[HoursMethod | None, OptionalChoice(HoursMethod)] = None
    version: Annotated[str | None, Text(100, required=False)] = None
