"""BACnet codec: BACnet/IP BVLL, BACnet/Ethernet LLC, NPDU, APDU, tagged values, services.

See README.md in this folder for the specification references and known gaps.
"""

from otm.protocols.bacnet.anomalies import BacnetAnomaly
from otm.protocols.bacnet.codec import (
    apdu_service,
    check_bvlc_length,
    decode_apdu,
    decode_bacnet_ip,
    decode_bvll,
    decode_ethernet,
    decode_npdu,
    encode_apdu,
    encode_bvll,
    encode_ethernet,
    encode_npdu,
    peek,
    read_property_datagram,
    who_is_datagram,
)
from otm.protocols.bacnet.constants import (
    UDP_PORT,
    operation_category,
    operation_name,
)
from otm.protocols.bacnet.messages import Apdu, BacnetEthernet, BacnetIp, Bvll, Npdu
from otm.protocols.bacnet.segmentation import Reassembler
from otm.protocols.bacnet.services import (
    decode_complex_ack,
    decode_confirmed_request,
    decode_error,
    decode_unconfirmed,
    encode_service,
)
from otm.protocols.bacnet.tags import decode_elements, encode_elements
from otm.protocols.bacnet.vendors import vendor_name

__all__ = [
    "UDP_PORT",
    "Apdu",
    "BacnetAnomaly",
    "BacnetEthernet",
    "BacnetIp",
    "Bvll",
    "Npdu",
    "Reassembler",
    "apdu_service",
    "check_bvlc_length",
    "decode_apdu",
    "decode_bacnet_ip",
    "decode_bvll",
    "decode_complex_ack",
    "decode_confirmed_request",
    "decode_elements",
    "decode_error",
    "decode_ethernet",
    "decode_npdu",
    "decode_unconfirmed",
    "encode_apdu",
    "encode_bvll",
    "encode_elements",
    "encode_ethernet",
    "encode_npdu",
    "encode_service",
    "operation_category",
    "operation_name",
    "peek",
    "read_property_datagram",
    "vendor_name",
    "who_is_datagram",
]
