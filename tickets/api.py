"""The tickets HTTP API: every CRM router, mounted by the app under ``/api``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
