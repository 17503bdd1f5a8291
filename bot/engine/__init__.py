"""The transport-free practice engine: takes calls, returns `Reply` objects (no Telegram inside)."""

from .engine import ASKED, FEEDBACK, HINT_COST, IDLE, PracticeEngine
from .replies import Action, Button, Reply, ReplyKind

__all__ = ["PracticeEngine", "Action", "Button", "Reply", "ReplyKind", "IDLE", "ASKED", "FEEDBACK", "HINT_COST"]
