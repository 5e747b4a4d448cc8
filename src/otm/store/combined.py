"""``Store``: every table of an otm database behind one object.

Each aspect of the database is a ``SqlStore`` subclass of its own module
(inventory in ``repository``, monitoring in ``monitoring``, detection in
``detection``, vulnerability advisories in ``vulns``, the console's users,
tokens, sessions and audit trail in ``access``); the faces open one
``Store`` that has them all, while a service that needs one aspect names
that class in its signature.
"""

from __future__ import annotations

from otm.store.access import AccessStore
from otm.store.detection import DetectionStore
from otm.store.monitoring import MonitoringStore
from otm.store.vulns import VulnStore


class Store(MonitoringStore, DetectionStore, VulnStore, AccessStore):
    """The inventory, monitoring, detection, advisory and access tables of one database."""
