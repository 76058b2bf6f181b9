"""Interactions: calls (filled from telephony events), web contacts and e-mails."""
