"""A real S7comm device for the tests: python-snap7's server with a real SZL identity.

Run as ``python s7_device.py HOST``; prints ``ready`` once listening on port 102.
snap7's stock SZL answers are minimal and not laid out as a real CPU's (see
../shared/TESTBED.md), so this subclass answers SZL 0x0011 and 0x001C the way
an S7-300 CPU does: ``LENTHDR u16 | N_DR u16 | N_DR records``, module records of
28 bytes (index, MLFB 20 chars, BGTyp, Ausbg, Ausbe), component records of
34 bytes (index, 32 bytes of text).
"""

from __future__ import annotations

import struct
import sys
import time

from snap7.server import Server

MLFB = b"6ES7 315-2EH14-0AB0 "
COMPONENTS = {
    1: b"Line 4 station",
    2: b"PLC_4",
    4: b"Original Siemens Equipment",
    5: b"S C-T7K123456789",
    7: b"CPU 315-2 PN/DP",
}


class IdentityServer(Server):  # type: ignore[misc]
    """snap7's server answering identification SZLs like an S7-300 CPU."""

    def _get_szl_data(self, szl_id: int, szl_index: int) -> bytes | None:
        if szl_id == 0x0011:
            records = [
                struct.pack(">H20sHHH", 0x0001, MLFB, 0x00C0, 0x0000, 0x0005),
                struct.pack(">H20sHHH", 0x0006, MLFB, 0x00C0, 0x0000, 0x0005),
                struct.pack(">H20sHHH", 0x0007, b" " * 20, 0x00C0, 0x5603, 0x0208),
            ]
            return struct.pack(">HH", 28, len(records)) + b"".join(records)
        if szl_id == 0x001C:
            records = [
                struct.pack(">H", i) + text.ljust(32, b"\x00") for i, text in COMPONENTS.items()
            ]
            return struct.pack(">HH", 34, len(records)) + b"".join(records)
        result: bytes | None = super()._get_szl_data(szl_id, szl_index)
        return result


def main() -> None:
    server = IdentityServer(log=False)
    server.start_to(sys.argv[1], 102)
    print("ready", flush=True)
    try:
        while True:
            time.sleep(1)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
