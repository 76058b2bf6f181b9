"""The unified customer record: the agent's screen pop, in one response."""
