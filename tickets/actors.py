"""Who is acting: passed to services so they can authorise and audit without knowing about HTTP."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("agent", "supervisor", "admin", "system")


@dataclass(frozen=True)
class Actor:
    """A user (or the system itself) acting on the CRM; ``role`` is one of :data:`ROLES`."""

    username: str
    role: str  # "agent" | "supervisor" | "admin" | "system"
    display_name: str | None = None

    @property
    def is_supervisor(self) -> bool:
        """Supervisors, admins and the system may do what supervisors may."""
        return self.role in ("supervisor", "admin", "system")


SYSTEM = Actor("system", "system")
