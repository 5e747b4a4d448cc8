"""Samples accepted but not yet stored: a bounded queue with a counted overflow.

While the database is down the historian keeps what it was given here and
retries on the next write.  Memory must stay bounded through a long outage,
so past ``limit`` the *oldest* samples are dropped (a live plant's newest
values matter most to whoever comes back to it) and counted in
``dropped``, which the historian reports in every error: a loss is never
silent.  At some 200 bytes an encoded sample, the default limit of one
million holds 200 MB, 1,000 tags at 1 s for a quarter of an hour.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import islice

from otm.historian.encoding import Encoded

DEFAULT_LIMIT = 1_000_000
"""Samples held in memory at most (see the module docstring)."""


class PendingSamples:
    """A FIFO of encoded samples, at most ``limit`` of them."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError(f"buffer limit {limit}: keep at least one sample")
        self.limit = limit
        self.dropped = 0
        """Samples dropped since the historian was opened, oldest first."""
        self._queue: deque[Encoded] = deque()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, samples: Sequence[Encoded]) -> None:
        """Queue samples, dropping (and counting) the oldest beyond the limit."""
        self._queue.extend(samples)
        over = len(self._queue) - self.limit
        if over > 0:
            for _ in range(over):
                self._queue.popleft()
            self.dropped += over

    def head(self, count: int) -> list[Encoded]:
        """The oldest ``count`` samples, still queued."""
        return list(islice(self._queue, count))

    def remove(self, count: int) -> None:
        """Forget the oldest ``count`` samples (once they are stored)."""
        for _ in range(min(count, len(self._queue))):
            self._queue.popleft()
