"""The audit log: one entry for each change the assistant (or an import) made."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from bot.ledger.models import AuditEntry


def record(session: Session, *, actor: str, action: str, entity: str,
           entity_id: Optional[int] = None, details: Optional[dict[str, Any]] = None) -> None:
    session.add(AuditEntry(actor=actor, action=action, entity=entity, entity_id=entity_id,
                           details=details or {}))
