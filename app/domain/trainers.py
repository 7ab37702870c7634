"""Who may teach a training (seed 004: internal trainers, and external ones employed by a
partner organisation that has a work relation, "werkrelatie", with the branch)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrainerFacts:
    """What the rule needs about a user: their own branch (None: every branch), and for an
    external trainer the branches their partner organisation works for."""

    branch_id: int | None
    external: bool
    partner_branch_ids: Collection[int] = ()


def may_teach(trainer: TrainerFacts, branch_id: int) -> bool:
    """An internal trainer teaches for their own branch (or every branch when they have
    none); an external one only where their partner organisation has a work relation."""
    if trainer.external:
        return branch_id in trainer.partner_branch_ids
    return trainer.branch_id is None or trainer.branch_id == branch_id
