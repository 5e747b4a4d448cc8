"""Monitoring: polling process values (tags) and device health from controllers.

Drivers over maintained client libraries behind one interface; the poller
yields ``TagSample`` and ``DeviceHealth`` observations.  Entry points:
``load_tags`` (the YAML tag list) and ``poll`` (run until a stop event).
"""

from otm.polling.poller import PollSummary, poll
from otm.polling.tags import TagConfigError, TagDocument, load_tags, parse_tags

__all__ = ["PollSummary", "TagConfigError", "TagDocument", "load_tags", "parse_tags", "poll"]
