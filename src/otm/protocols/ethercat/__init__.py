"""EtherCAT codec: frame header and datagrams (commands, addresses, working counter).

Hand-written: a frame is a 2-byte header and a chain of fixed 10-byte
datagram headers that ``struct`` reads in place; the Python EtherCAT
libraries (pysoem) are master stacks bound to a network interface.  See
README.md for the references and known gaps.
"""

from otm.protocols.ethercat.anomalies import EthercatAnomaly
from otm.protocols.ethercat.codec import (
    decode_frame,
    encode_datagram,
    encode_frame,
    scan_commands,
)
from otm.protocols.ethercat.constants import (
    ETHERTYPE_ETHERCAT,
    LOCALLY_ADMINISTERED,
    Command,
    FrameType,
    command_category,
    command_name,
)
from otm.protocols.ethercat.messages import Datagram, EthercatFrame

__all__ = [
    "ETHERTYPE_ETHERCAT",
    "LOCALLY_ADMINISTERED",
    "Command",
    "Datagram",
    "EthercatAnomaly",
    "EthercatFrame",
    "FrameType",
    "command_category",
    "command_name",
    "decode_frame",
    "encode_datagram",
    "encode_frame",
    "scan_commands",
]
