"""Background jobs over the tickets database: SLA escalation, follow-up tasks, value segmentation.

Each job is a plain function ``job(session, *, now, rules, ...)`` that flushes; :func:`run_jobs_forever`
runs them periodically, each in its own transaction.
"""

from tickets.jobs.escalation import Escalated, escalate_overdue
from tickets.jobs.follow_ups import create_follow_ups
from tickets.jobs.runner import JobReport, run_jobs_forever, run_jobs_once
from tickets.jobs.value import ValueReport, recompute_value_segments

__all__ = [
    "Escalated",
    "JobReport",
    "ValueReport",
    "create_follow_ups",
    "escalate_overdue",
    "recompute_value_segments",
    "run_jobs_forever",
    "run_jobs_once",
]
