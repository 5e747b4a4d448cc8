"""Devices with process data for the poller tests, each over another library's device stack.

Run as ``python poll_devices.py KIND ARGS``; prints ``ready`` once serving,
then takes commands on stdin, one a line, answering ``ok`` to each, so a
test can change a value on the device and watch the poller see it:

- ``s7 HOST PORT``: python-snap7's server (the S7-300 identity of
  ``../realdevices/s7_device.py``) with DB1 and the merkers, 64 bytes each;
  ``set DB1 OFFSET HEX`` / ``set M OFFSET HEX`` writes bytes.
- ``opcua HOST PORT``: asyncua's server with ``ns=2;s=Line3.TT101`` (Double),
  ``ns=2;s=Line3.RUN`` (Boolean), ``ns=2;s=Line3.COUNT`` (Int32),
  ``ns=2;s=Line3.NAME`` (String); ``set NAME VALUE`` (NAME like ``Line3.TT101``),
  ``status NAME HEX`` gives the variable a status code.
- ``bacnet ADDRESS INSTANCE``: bacpypes3's application (``ADDRESS`` in its
  syntax, e.g. ``127.0.0.1/32:47809``) with analog-value,1 (21.5),
  binary-value,2 (active), analog-input,3 (7.0) and multi-state-value,4 (2);
  ``set OBJECT VALUE``, ``oos OBJECT 1|0`` (out of service) and
  ``fault OBJECT 1|0`` (reliability no-sensor: the fault status flag).
"""

from __future__ import annotations

import asyncio
import struct
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "realdevices"))


def _lines() -> asyncio.Queue[str]:
    """stdin lines, fed from a reader thread into the running loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def reader() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.strip())
        loop.call_soon_threadsafe(queue.put_nowait, "quit")

    threading.Thread(target=reader, daemon=True).start()
    return queue


def s7(host: str, port: int) -> None:
    from s7_device import IdentityServer
    from snap7.type import SrvArea

    server = IdentityServer(log=False)
    areas = {"DB1": bytearray(64), "M": bytearray(64)}
    server.register_area(SrvArea.DB, 1, areas["DB1"])
    server.register_area(SrvArea.MK, 0, areas["M"])
    struct.pack_into(">f", areas["DB1"], 4, 21.5)
    struct.pack_into(">h", areas["DB1"], 8, -7)
    areas["DB1"][0] = 0b0000_0010
    struct.pack_into(">H", areas["M"], 10, 1234)
    server.start_to(host, port)
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            parts = line.split()
            if parts and parts[0] == "set":
                data = bytes.fromhex(parts[3])
                offset = int(parts[2])
                areas[parts[1]][offset : offset + len(data)] = data
            print("ok", flush=True)
    finally:
        server.stop()


async def opcua(host: str, port: int) -> None:
    from asyncua import Server, ua

    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://{host}:{port}/otm/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace("urn:otm:tests")
    assert idx == 2
    line3 = await server.nodes.objects.add_object(idx, "Line3")
    variables = {
        "Line3.TT101": await line3.add_variable(ua.NodeId("Line3.TT101", idx), "TT101", 21.5),
        "Line3.RUN": await line3.add_variable(ua.NodeId("Line3.RUN", idx), "RUN", True),
        "Line3.COUNT": await line3.add_variable(
            ua.NodeId("Line3.COUNT", idx), "COUNT", 7, ua.VariantType.Int32
        ),
        "Line3.NAME": await line3.add_variable(ua.NodeId("Line3.NAME", idx), "NAME", "batch-1"),
    }
    async with server:
        print("ready", flush=True)
        commands = _lines()
        while (line := await commands.get()) != "quit":
            parts = line.split(maxsplit=2)
            if parts and parts[0] == "set":
                var = variables[parts[1]]
                kind = await var.read_data_type_as_variant_type()
                text = parts[2]
                value: object = {
                    ua.VariantType.Double: float,
                    ua.VariantType.Int32: int,
                    ua.VariantType.Boolean: lambda t: t == "true",
                }.get(kind, str)(text)
                await var.write_value(ua.DataValue(ua.Variant(value, kind)))
            elif parts and parts[0] == "status":
                var = variables[parts[1]]
                current = (await var.read_data_value(raise_on_bad_status=False)).Value.Value
                kind = await var.read_data_type_as_variant_type()
                await var.write_value(
                    ua.DataValue(
                        ua.Variant(current, kind), StatusCode=ua.StatusCode(int(parts[2], 16))
                    )
                )
            print("ok", flush=True)


async def bacnet(address: str, instance: str) -> None:
    from bacpypes3.app import Application
    from bacpypes3.argparse import SimpleArgumentParser
    from bacpypes3.local.analog import AnalogInputObject, AnalogValueObject
    from bacpypes3.local.binary import BinaryValueObject
    from bacpypes3.local.multistate import MultiStateValueObject

    args = SimpleArgumentParser().parse_args(
        ["--address", address, "--instance", instance, "--name", f"AHU-{instance}"]
    )
    app = Application.from_args(args)
    objects = {
        "analog-value,1": AnalogValueObject(
            objectIdentifier=("analog-value", 1), objectName="SAT", presentValue=21.5,
            units="degreesCelsius",
        ),
        "binary-value,2": BinaryValueObject(
            objectIdentifier=("binary-value", 2), objectName="FAN", presentValue="active",
        ),
        "analog-input,3": AnalogInputObject(
            objectIdentifier=("analog-input", 3), objectName="OAT", presentValue=7.0,
            outOfService=False, reliability="noFaultDetected", units="degreesCelsius",
        ),
        "multi-state-value,4": MultiStateValueObject(
            objectIdentifier=("multi-state-value", 4), objectName="MODE", presentValue=2,
            numberOfStates=3,
        ),
    }  # fmt: skip
    for obj in objects.values():
        app.add_object(obj)
    print("ready", flush=True)
    commands = _lines()
    while (line := await commands.get()) != "quit":
        parts = line.split()
        if parts and parts[0] == "set":
            obj = objects[parts[1]]
            if parts[1].startswith("binary"):
                obj.presentValue = parts[2]
            elif parts[1].startswith("multi"):
                obj.presentValue = int(parts[2])
            else:
                obj.presentValue = float(parts[2])
        elif parts and parts[0] == "oos":
            objects[parts[1]].outOfService = parts[2] == "1"
        elif parts and parts[0] == "fault":
            objects[parts[1]].reliability = "noSensor" if parts[2] == "1" else "noFaultDetected"
        print("ok", flush=True)
    app.close()


def main() -> None:
    kind = sys.argv[1]
    if kind == "s7":
        s7(sys.argv[2], int(sys.argv[3]))
    elif kind == "opcua":
        asyncio.run(opcua(sys.argv[2], int(sys.argv[3])))
    elif kind == "bacnet":
        asyncio.run(bacnet(sys.argv[2], sys.argv[3]))
    else:
        raise SystemExit(f"unknown device kind {kind!r}")


if __name__ == "__main__":
    main()
