"""What sensors learn about a flow that the capture layer cannot know.

The walker names a flow's ends from TCP handshakes and registered ports.
Sensors, which understand the PDUs, confirm the protocol (a flow on port 502
whose bytes are not Modbus is no Modbus link) and can say the walker's
guess of direction was wrong (a UDP ListIdentity reply sent from port 44818
to port 44818 before any request was seen: the sender is the device, the
server, although it spoke first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from otm.capture.interfaces import FlowKey


@dataclass
class FlowLabels:
    """Per-flow verdicts of the sensors, read when the walker reports the flow."""

    protocol: dict[FlowKey, str] = field(default_factory=dict)
    reversed: set[FlowKey] = field(default_factory=set)
