"""A session's roll-call marks, as the roll call wrote them."""

from typing import Annotated

from app.api.schemas.fields import Answer, OutMoment, QueryChoice
from app.api.schemas.paging import Paging


class RollCallMarkFilter(Paging):
    """``current=true``: only each participant's latest mark (the state the roll call shows)."""

    current: Annotated[str | None, QueryChoice(["true", "false"])] = None


class RollCallMarkOut(Answer):
    """One mark: present or absent, with the trainer's remark; who marked it and when. Marks
    are never changed: marking again adds one, and the latest (``current``) is the state.
    ``source`` "import": a code a school administration package sent (``peer``, ``code``)."""

    id: int
    session_id: int
    participant_id: int
    participant_name: str
    present: bool
    remark: str
    marked_at: OutMoment
    marked_by: str | None  # the user's email address
    source: str  # "manual" or "import"
    peer: str | None
    code: str | None
    current: bool


class RollCallMarkList(Answer):
    items: list[RollCallMarkOut]
    total: int = 0
    page: int = 1
    per_page: int = 0
