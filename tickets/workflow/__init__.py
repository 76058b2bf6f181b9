"""The pure ticket workflow: status machine, SLA clock, priority, assignment and escalation rules.

Nothing here touches a database, a clock or the network; callers pass ``now`` and plain data.
"""
