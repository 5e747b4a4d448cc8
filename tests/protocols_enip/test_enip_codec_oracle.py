"""EtherNet/IP + CIP codec against tshark 4.0 on real captures, message by message.

For every frame whose TCP or UDP payload (port 44818) is exactly one
encapsulation message, the codec must agree with tshark on the header
(command, length, session, status), on every CIP service code of the
message (outer, routed through Unconnected Send, packed in a Multiple
Service Packet), on the general statuses of replies, on ListIdentity fields
and on the Identity object's vendor id and serial number.  Every message of
these captures must also re-encode to its exact bytes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from otm.protocols.common import Anomaly
from otm.protocols.enip import codec
from otm.protocols.enip.constants import CLASS_CONNECTION_MANAGER, CLASS_MESSAGE_ROUTER
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import CipRequest, CipResponse

CAPTURES = (
    "enip_cip_example.pcap",
    "EIP-IPAddressChangeAttempt.pcap",
    "EIP-RebootorRestart.pcap",
    "specialCIP.pcap",
    "mb2.pcap",
)
FIELDS = (
    "frame.number",
    "tcp.payload",
    "udp.payload",
    "enip.command",
    "enip.length",
    "enip.session",
    "enip.status",
    "cip.sc",
    "cip.rr",
    "cip.genstat",
    "cip.id.vendor_id",
    "cip.id.serial_number",
    "enip.lir.vendor",
    "enip.lir.devtype",
    "enip.lir.prodcode",
    "enip.lir.serial",
    "enip.lir.name",
    "enip.sinaddr",
)


def tshark_rows(tshark: str, capture: Path) -> list[dict[str, str]]:
    cmd = [
        tshark,
        "-n",
        "-r",
        str(capture),
        "-Y",
        "enip",
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [dict(zip(FIELDS, line.split("|"), strict=True)) for line in out.splitlines()]


def ints(text: str) -> list[int]:
    return [int(v, 0) for v in text.split(",") if v]


def request_services(request: CipRequest, depth: int = 0) -> list[int]:
    """Service codes as tshark lists them: outer first, then embedded ones."""
    services = [request.service]
    if depth > 3:
        return services
    if request.service == 0x52 and request.path.class_id == CLASS_CONNECTION_MANAGER:
        routed = codec.decode_unconnected_send(request.data)
        if not isinstance(routed, Anomaly):
            services += request_services(routed.request, depth + 1)
    elif request.service == 0x0A and request.path.class_id == CLASS_MESSAGE_ROUTER:
        packet = codec.decode_multiple_service(request.data)
        if not isinstance(packet, Anomaly):
            for body in packet.services:
                inner = codec.decode_cip_request(body)
                if isinstance(inner, CipRequest):
                    services += request_services(inner, depth + 1)
    return services


def response_parts(response: CipResponse) -> list[CipResponse]:
    parts = [response]
    if response.service == 0x0A:
        packet = codec.decode_multiple_service(response.data)
        if not isinstance(packet, Anomaly):
            for body in packet.services:
                inner = codec.decode_cip_response(body)
                if isinstance(inner, CipResponse):
                    parts.append(inner)
    return parts


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_codec_agrees_with_tshark(capture: str, pcaps: Path, tshark: str) -> None:
    checked = 0
    for row in tshark_rows(tshark, pcaps / capture):
        payload = bytes.fromhex(row["tcp.payload"] or row["udp.payload"])
        if not payload or frame_length(payload) != len(payload) or "," in row["enip.command"]:
            continue  # not exactly one message in this frame (split or several PDUs)
        frame = row["frame.number"]
        msg = codec.decode_encapsulation(payload)
        assert not isinstance(msg, Anomaly), (frame, msg)
        assert codec.encode_encapsulation(msg) == payload, frame
        assert (msg.command, len(msg.data), msg.session_handle, msg.status) == (
            int(row["enip.command"], 0),
            int(row["enip.length"]),
            int(row["enip.session"], 0),
            int(row["enip.status"], 0),
        ), frame
        checked += 1
        if row["enip.lir.vendor"]:
            reply = codec.decode_list_identity_response(msg.data)
            assert not isinstance(reply, Anomaly), (frame, reply)
            item = reply.identities[0]
            assert item.vendor_id == int(row["enip.lir.vendor"], 0)
            assert item.device_type == int(row["enip.lir.devtype"], 0)
            assert item.product_code == int(row["enip.lir.prodcode"])
            assert item.serial_number == int(row["enip.lir.serial"], 0)
            assert item.product_name == row["enip.lir.name"]
            assert item.sin_address == row["enip.sinaddr"]
        if msg.command not in (0x6F, 0x70) or not row["cip.sc"]:
            continue
        data = codec.decode_send_data(msg.data)
        assert not isinstance(data, Anomaly), (frame, data)
        assert codec.encode_send_data(data) == msg.data, frame
        cip = data.cip
        assert cip is not None, frame
        services = ints(row["cip.sc"])
        if ints(row["cip.rr"])[0] == 0:
            request = codec.decode_cip_request(cip)
            assert isinstance(request, CipRequest), (frame, request)
            assert codec.encode_cip_request(request) == cip, frame
            assert request_services(request) == services, frame
        else:
            response = codec.decode_cip_response(cip)
            assert isinstance(response, CipResponse), (frame, response)
            assert codec.encode_cip_response(response) == cip, frame
            parts = response_parts(response)
            assert [p.service for p in parts] == services, frame
            assert [p.general_status for p in parts] == ints(row["cip.genstat"]), frame
            if row["cip.id.vendor_id"] and response.service == 0x01:
                obj = codec.decode_identity_attributes(response.data)
                assert not isinstance(obj, Anomaly), (frame, obj)
                assert obj.vendor_id == ints(row["cip.id.vendor_id"])[0], frame
                assert obj.serial_number == ints(row["cip.id.serial_number"])[0], frame
    assert checked > 0, f"no single-message ENIP frame compared in {capture}"
    print(f"{capture}: {checked} messages compared")
