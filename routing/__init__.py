"""The ACD: a pure decision core (``routing.core``), its model, configuration, statistics, Erlang C,
state stores (in-memory and Redis) and, at the edge, the asyncio service that carries decisions out.

Nothing here imports another domain package; agents, customer tiers, the journey store and call
control reach the ACD through the ports in ``routing.ports``.
"""
