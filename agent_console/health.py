"""``/healthz`` (the process answers) and ``/readyz`` (every readiness check of the platform passes)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from agent_console.deps import PlatformDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive and serving."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a readiness check failed"}})
async def readyz(platform: PlatformDep) -> JSONResponse:
    """200 when the database and every configured AMI link answer; 503 naming the failing checks."""
    results = await platform.readiness.run()
    failing = [r.name for r in results if not r.ok]
    body = {
        "status": "not-ready" if failing else "ready",
        "checks": {r.name: ("ok" if r.ok else r.detail or "down") for r in results},
        "failing": failing,
    }
    return JSONResponse(body, status_code=503 if failing else 200)
