"""The tickets HTTP API: every CRM router, mounted by the app under ``/api``."""

from __future__ import annotations

from fastapi import APIRouter

from tickets.assets.api import router as assets_router
from tickets.customers.api import router as customers_router
from tickets.intake.api import router as intake_router
from tickets.interactions.api import router as interactions_router
from tickets.record.api import router as record_router
from tickets.ticketing.api import routers as ticketing_routers

router = APIRouter()
# The record router goes first: its /customers/{id}/record must not be shadowed.
router.include_router(record_router)
router.include_router(customers_router)
router.include_router(assets_router)
router.include_router(interactions_router)
for _ticketing_router in ticketing_routers:  # /tickets, /follow-ups, /notifications
    router.include_router(_ticketing_router)

# Routers that authenticate on their own (the web intake takes a bearer token or X-Intake-Key): the app
# mounts this one under /api without its blanket bearer requirement.
public_router = APIRouter()
public_router.include_router(intake_router)
