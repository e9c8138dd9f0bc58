"""The console's audit trail: who logged in, viewed, exported, reviewed or erased what."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.console.models import ConsoleAuditEntry


def audit(session: Session, username: str, action: str, target: Optional[str],
          details: Optional[dict[str, Any]] = None) -> None:
    session.add(ConsoleAuditEntry(username=username, action=action, target=target,
                                  details=details or {}))
