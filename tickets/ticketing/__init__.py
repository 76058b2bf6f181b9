"""Ticket use cases (create, list, update, transition, comment, follow-ups, notifications) and their API."""
