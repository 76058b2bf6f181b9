"""Who works here: the users who log in (agents, supervisors, admins) with their phone extensions.

The agent directory of the platform: the web app authenticates against it, the call recorder names
the agent of an extension, tickets check assignees, and the ACD's agent directory port is filled from it.
"""
