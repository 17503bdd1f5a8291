"""Minimal questions and attempts for the scheduling and progress tests (the duck types they take)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Q:
    id: str
    topic: str
    answered: bool = True


@dataclass(frozen=True)
class A:
    question_id: str
    score: float
    created_at: datetime
