"""A real Modbus/TCP device for the tests: pymodbus's server with a device identity.

Run as ``python modbus_device.py HOST PORT VENDOR PRODUCT_CODE REVISION MODEL``;
prints ``ready`` once listening.  pymodbus keeps the identity in a process-wide
block, hence one process per simulated device (see ../shared/TESTBED.md).
"""

from __future__ import annotations

import asyncio
import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.pdu.device import ModbusDeviceIdentification
from pymodbus.server import StartAsyncTcpServer


async def main() -> None:
    host, port, vendor, code, revision, model = sys.argv[1:7]
    identity = ModbusDeviceIdentification(
        info_name={
            "VendorName": vendor,
            "ProductCode": code,
            "MajorMinorRevision": revision,
            "ModelName": model,
            "ProductName": model,
        }
    )
    block = ModbusSequentialDataBlock(1, list(range(200)))
    device = ModbusDeviceContext(di=block, co=block, hr=block, ir=block)
    context = ModbusServerContext(devices=device, single=True)
    task = asyncio.create_task(
        StartAsyncTcpServer(context=context, identity=identity, address=(host, int(port)))
    )
    await asyncio.sleep(0.5)
    print("ready", flush=True)
    await task


if __name__ == "__main__":
    asyncio.run(main())
