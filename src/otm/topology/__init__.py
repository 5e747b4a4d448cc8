"""The plant map: the communication graph, Purdue levels, zones and conduits,
production processes, impact and exposure, change over time.

A consumer of the inventory (``otm.model``), like ``otm.inventory`` is a
consumer of observations: pure functions of the inventory and the user's
``PlantConfig``; no bytes, no I/O.
"""
