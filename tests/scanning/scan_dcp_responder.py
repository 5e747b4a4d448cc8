"""A PROFINET DCP device for the tests: answers Identify with a real device's answer.

No PROFINET device stack is packaged for Python, so this script replays what
real devices said: the DCP payload of an Identify response recorded in a
public capture (``../shared/pcaps``), frame ``FRAME``, with only its Xid
changed to the request's.  The request is recognised by hand from the raw
bytes (FrameID 0xFEFE, ServiceID 5, ServiceType 0), not with otm's codec, so
the probe meets bytes otm did not make.

Run as ``python scan_dcp_responder.py IFACE CAPTURE FRAME``, as root inside a
namespace; prints ``ready`` once listening, then one line per answer sent.
"""

from __future__ import annotations

import socket
import sys

from otm.capture.readers import open_capture

ETH_P_PROFINET = 0x8892


def recorded_payload(capture: str, number: int) -> bytes:
    """The DCP payload (FrameID first) of frame ``number``, past any 802.1Q tag."""
    with open_capture(capture) as reader:
        for frame_no, _ts, _linktype, data in reader:
            if frame_no == number:
                at = 18 if data[12:14] == b"\x81\x00" else 14
                if data[at - 2 : at] != b"\x88\x92":
                    raise SystemExit(f"frame {number} is not PROFINET")
                return data[at:]
    raise SystemExit(f"no frame {number} in {capture}")


def main() -> None:
    iface, capture, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
    answer = recorded_payload(capture, number)
    if answer[:2] != b"\xfe\xff" or answer[2] != 5 or answer[3] != 1:
        raise SystemExit(f"frame {number} is not an Identify response")
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_PROFINET))
    sock.bind((iface, ETH_P_PROFINET))
    own = sock.getsockname()[4]
    print("ready", flush=True)
    while True:
        data = sock.recv(2048)
        if len(data) < 26 or data[6:12] == own or data[12:14] != b"\x88\x92":
            continue
        payload = data[14:]
        if payload[:2] != b"\xfe\xfe" or payload[2] != 5 or payload[3] != 0:
            continue
        xid = payload[4:8]
        reply = answer[:4] + xid + answer[8:]
        sock.send((data[6:12] + own + b"\x88\x92" + reply).ljust(60, b"\x00"))
        print(f"answered xid {xid.hex()}", flush=True)


if __name__ == "__main__":
    main()
