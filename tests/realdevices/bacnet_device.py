"""A real BACnet/IP device for the tests: bacpypes3's application with a device identity.

Run as ``python bacnet_device.py ADDRESS/PREFIX INSTANCE VENDOR_ID MODEL FIRMWARE``;
prints ``ready`` once bound.  Per ../shared/TESTBED.md the device properties
are set after ``Application.from_args``, and the device answers Who-Is sent
to the subnet broadcast.
"""

from __future__ import annotations

import asyncio
import sys

from bacpypes3.app import Application
from bacpypes3.argparse import SimpleArgumentParser


async def main() -> None:
    address, instance, vendor_id, model, firmware = sys.argv[1:6]
    args = SimpleArgumentParser().parse_args(
        ["--address", address, "--instance", instance, "--vendoridentifier", vendor_id,
         "--name", f"AHU-{instance}"]
    )  # fmt: skip
    app = Application.from_args(args)
    device = app.device_object
    device.vendorName = "Acme Building Controls"
    device.modelName = model
    device.firmwareRevision = firmware
    device.applicationSoftwareVersion = "app 1.4"
    device.location = "Roof AHU room"
    device.description = "air handling unit controller"
    print("ready", flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
