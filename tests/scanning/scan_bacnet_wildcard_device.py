"""tests/realdevices/bacnet_device.py, answering for the wildcard device instance too.

ASHRAE 135 (clause 15.5.1.1.1, and 12.11.1 for the Object_Identifier) has a
device treat ``device,4194303`` as itself; bacpypes3 0.0.110 answers
``unknown-object`` instead (../shared/TESTBED.md), which is why nmap's
``bacnet-info`` learns nothing from it.  This wrapper teaches bacpypes3's
``Application.get_object_id`` the rule, then runs the unchanged device script,
so nmap and otm meet a device that reads like real controllers do.

Run exactly as ``bacnet_device.py``: ``python scan_bacnet_wildcard_device.py
ADDRESS/PREFIX INSTANCE VENDOR_ID MODEL FIRMWARE``.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

from bacpypes3.app import Application

WILDCARD = 4194303
DEVICE_SCRIPT = Path(__file__).resolve().parents[1] / "realdevices" / "bacnet_device.py"

_stock = Application.get_object_id


def _get_object_id(self: Any, objid: Any) -> Any:
    try:
        kind, instance = objid
    except (TypeError, ValueError):
        return _stock(self, objid)
    if instance == WILDCARD and str(kind) == "device":
        return self.device_object
    return _stock(self, objid)


if __name__ == "__main__":
    Application.get_object_id = _get_object_id  # type: ignore[method-assign]
    sys.argv = [str(DEVICE_SCRIPT), *sys.argv[1:]]
    runpy.run_path(str(DEVICE_SCRIPT), run_name="__main__")
