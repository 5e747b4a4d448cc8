"""``otm sensor`` on a live interface: a bridge in a namespaced plant.

Real device stacks written by others answer a client's traffic across the
bridge: pymodbus (Modbus/TCP with Read Device Identification), python-snap7
(S7comm SZL reads), cpppo (EtherNet/IP ListIdentity), bacpypes3 (Who-Is and
ReadProperty of the device object) and asyncua (GetEndpoints and BuildInfo).  ``otm sensor``
listens on the bridge in its own process; the inventory in the database must
show each device with the identity it gave while traffic still flows, and a
SIGTERM must end the sensor cleanly with everything stored.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from plant_netns import namespaces_available, plant

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available())),
]

HERE = Path(__file__).parent
DEVICES = HERE.parent / "realdevices"
OTM = [sys.executable, "-m", "otm"]
CPPPO = """[Identity]
Vendor Number = 1
Device Type = 14
Product Code Number = 166
Product Revision = 2825
Serial Number = 1234567890
Product Name = 1756-L83E/B
"""

CLIENT = r"""
import sys, time
from pymodbus.client import ModbusTcpClient
import snap7
from pycomm3 import CIPDriver
modbus_ip, s7_ip, enip_ip = sys.argv[1:4]
c = ModbusTcpClient(modbus_ip, port=502, timeout=3)
assert c.connect()
assert not c.read_device_information(read_code=1, object_id=0).isError()
for _ in range(20):
    assert not c.read_holding_registers(10, count=4).isError()
c.close()
s7 = snap7.Client()
s7.connect(s7_ip, 0, 2)
s7.read_szl(0x0011, 0)
s7.read_szl(0x001C, 0)
s7.disconnect()
found = CIPDriver.list_identity(enip_ip)
assert found and found["product_name"] == "1756-L83E/B", found
print("done", flush=True)
"""

ASYNC_CLIENT = r"""
import asyncio, sys
from asyncua import Client
from bacpypes3.app import Application
from bacpypes3.argparse import SimpleArgumentParser
from bacpypes3.pdu import Address

async def main():
    own, bacnet_ip, opcua_url = sys.argv[1:4]
    args = SimpleArgumentParser().parse_args(["--address", own, "--instance", "999"])
    app = Application.from_args(args)
    i_ams = await app.who_is(1001, 1001)
    assert i_ams, "no I-Am"
    device = Address(bacnet_ip)
    for prop in ("vendor-name", "model-name", "firmware-revision"):
        await app.read_property(device, "device,1001", prop)
    app.close()
    async with Client(opcua_url) as client:
        await client.get_endpoints()
        build = client.get_node("ns=0;i=2260")
        for child in await build.get_children():
            await child.read_value()
    print("done", flush=True)

asyncio.run(main())
"""


def _assets(db: Path) -> list[dict[str, object]]:
    out = subprocess.run(
        [*OTM, "assets", "--db", str(db), "--format", "json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    return list(data["assets"] if isinstance(data, dict) else data)


def _wait_ready(proc: subprocess.Popen[str], what: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "ready", (
        f"{what} did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
    )


def test_sensor_inventories_a_live_plant(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    (tmp_path / "cpppo.cfg").write_text(CPPPO)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    macs = {
        "modbus": "00:80:f4:00:00:10",  # Schneider Electric OUI
        "s7": "00:1b:1b:00:00:11",  # Siemens
        "enip": "00:00:bc:00:00:12",  # Rockwell
        "hmi": "02:00:00:00:00:20",
        "bacnet": "00:e0:4c:00:00:13",
        "opcua": "02:00:00:00:00:14",
    }
    procs: list[subprocess.Popen[str]] = []
    with plant(macs) as p:
        try:
            sensor = subprocess.Popen(
                p.on_switch([*OTM, "sensor", "-i", p.bridge, "--db", str(db), "--interval", "0.5",
                             "--filter", "ip or arp"]),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            )  # fmt: skip
            procs.append(sensor)
            modbus = subprocess.Popen(
                p.run_in("modbus", [sys.executable, str(DEVICES / "modbus_device.py"),
                                    p.ip("modbus"), "502", "Acme Controls", "AC-500", "2.7.1",
                                    "Acme PLC 500"]),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            )  # fmt: skip
            procs.append(modbus)
            s7 = subprocess.Popen(
                p.run_in("s7", [sys.executable, str(DEVICES / "s7_device.py"), p.ip("s7")]),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            )  # fmt: skip
            procs.append(s7)
            enip = subprocess.Popen(
                p.run_in("enip", [sys.executable, "-m", "cpppo.server.enip", "--config",
                                  "cpppo.cfg", "--address", "0.0.0.0:44818", "SCADA=INT[10]"]),
                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            procs.append(enip)
            bacnet = subprocess.Popen(
                p.run_in("bacnet", [sys.executable, str(DEVICES / "bacnet_device.py"),
                                    f"{p.ip('bacnet')}/24", "1001", "999", "AHU-500", "3.1.4"]),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            )  # fmt: skip
            procs.append(bacnet)
            opcua = subprocess.Popen(
                p.run_in("opcua", [sys.executable, str(DEVICES / "opcua_device.py"),
                                   p.ip("opcua"), "4840"]),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            )  # fmt: skip
            procs.append(opcua)
            _wait_ready(modbus, "pymodbus")
            _wait_ready(s7, "snap7")
            _wait_ready(bacnet, "bacpypes3")
            _wait_ready(opcua, "asyncua")
            time.sleep(2.0)  # cpppo prints nothing when ready; the sensor warms up
            client = subprocess.run(
                p.run_in("hmi", [sys.executable, "-c", CLIENT, p.ip("modbus"), p.ip("s7"),
                                 p.ip("enip")]),
                check=False, capture_output=True, text=True, env=env, timeout=60,
            )  # fmt: skip
            assert client.stdout.strip() == "done", client.stderr
            url = f"opc.tcp://{p.ip('opcua')}:4840/otm/"
            client = subprocess.run(
                p.run_in("hmi", [sys.executable, "-c", ASYNC_CLIENT, f"{p.ip('hmi')}/24",
                                 p.ip("bacnet"), url]),
                check=False, capture_output=True, text=True, env=env, timeout=90,
            )  # fmt: skip
            assert client.stdout.strip() == "done", client.stderr[-3000:]
            # While the sensor still runs, the inventory must already show the devices.
            deadline = time.monotonic() + 15
            seen: dict[str, dict[str, object]] = {}
            while time.monotonic() < deadline:
                if db.exists():
                    seen = {ip: a for a in _assets(db) for ip in a["ips"]}  # type: ignore[union-attr]
                    if seen.get(p.ip("modbus"), {}).get("vendor") == "Acme Controls":
                        break
                time.sleep(0.5)
            assert sensor.poll() is None, "the sensor must still be running"
            assert seen.get(p.ip("modbus"), {}).get("vendor") == "Acme Controls", seen
            sensor.send_signal(signal.SIGTERM)
            out, err = sensor.communicate(timeout=30)
            assert sensor.returncode == 0, err
            assert "drops:" in out
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
    final = {ip: a for a in _assets(db) for ip in a["ips"]}  # type: ignore[union-attr]
    plc = final[p.ip("modbus")]
    assert (plc["vendor"], plc["firmware"], plc["product_code"]) == ("Acme Controls", "2.7.1",
                                                                      "AC-500")  # fmt: skip
    assert plc["macs"] == [macs["modbus"]]
    s7cpu = final[p.ip("s7")]
    assert s7cpu["role"] == "plc" and "s7comm" in {x["name"] for x in s7cpu["protocols"]}
    assert s7cpu["serial"]
    rockwell = final[p.ip("enip")]
    assert rockwell["model"] == "1756-L83E/B" or rockwell["name"] == "1756-L83E/B", rockwell
    ahu = final[p.ip("bacnet")]
    assert (ahu["vendor"], ahu["model"], ahu["firmware"]) == ("Acme Building Controls",
                                                             "AHU-500", "3.1.4")  # fmt: skip
    ua_server = final[p.ip("opcua")]
    assert (ua_server["vendor"], ua_server["model"], ua_server["firmware"]) == (
        "Acme Automation", "Acme OPC Gateway", "4.2.1"
    )  # fmt: skip
    hmi = final[p.ip("hmi")]
    assert {x["role"] for x in hmi["protocols"]} == {"client"}
