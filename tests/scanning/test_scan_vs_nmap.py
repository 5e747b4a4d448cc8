"""otm scan against nmap's ICS scripts, on the same real devices: otm learns all nmap does.

One namespaced plant holds pymodbus (Modbus/TCP), python-snap7 with real SZL
records (S7comm), cpppo (EtherNet/IP) and bacpypes3 (BACnet/IP, answering for
the wildcard instance as ASHRAE 135 asks, see ``scan_bacnet_wildcard_device.py``).
From a scanner namespace, nmap 7.93 runs ``modbus-discover``, ``s7-info``,
``enip-info`` and ``bacnet-info`` (``-oX -``), and otm's scanner runs its
modbus, s7, enip and bacnet probes.  Every value nmap reports for a host must
be the value of one of the identity fields otm's observations give that host;
``NMAP_FIELDS`` says, per script and key, which otm field holds it and how
nmap prints it.  A value nmap reports that no row covers fails the test, so a
new nmap field is noticed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from scan_netns_support import DEVICES, HERE, PY, devices, identity, run_scan, start

from live.plant_netns import namespaces_available, plant

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available())),
    pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap is not installed (apt)"),
]

CPPPO = """[Identity]
Vendor Number = 1
Device Type = 14
Product Code Number = 166
Product Revision = 2825
Serial Number = 1234567890
Product Name = 1756-L83E/B
"""

SCRIPTS = ("modbus-discover", "s7-info", "enip-info", "bacnet-info")

Fields = dict[str, str | int]
Check = Callable[[str, Fields], bool]


def _paren_number(field: str) -> Check:
    """nmap prints ``Name (N)``: N is otm's ``field``."""

    def check(value: str, fields: Fields) -> bool:
        found = re.search(r"\((\d+)\)\s*$", value)
        return found is not None and fields.get(field) == int(found.group(1))

    return check


def _same(*names: str) -> Check:
    """nmap's value (trimmed) is one of otm's ``names`` fields."""
    return lambda value, fields: any(str(fields.get(n, "")).strip() == value for n in names)


def _hex(field: str) -> Check:
    return lambda value, fields: fields.get(field) == int(value, 16)


NMAP_FIELDS: dict[tuple[str, str], Check] = {
    # modbus-discover: Report Server ID (function 17) and the basic identification
    # objects (function 43/14), which nmap joins with spaces.
    ("modbus-discover", "Slave ID data"): lambda v, f: (
        v.removesuffix("\\xFF") == f.get("server_id") and f.get("run_indicator") == "on"
    ),
    ("modbus-discover", "Device identification"): lambda v, f: (
        v == " ".join(str(f.get(k, "")) for k in ("vendor", "product_code", "firmware"))
    ),
    # s7-info reads SZL 0x0011 and 0x001C.  It takes 0x001C records by position,
    # not by index, so on this CPU (no plant id record) its labels shift:
    # "Serial Number" shows the module type, "Plant Identification" the copyright,
    # "Copyright" the serial.  The values are what count.
    ("s7-info", "Module"): _same("order_number"),
    ("s7-info", "Basic Hardware"): _same("hardware_order_number"),
    ("s7-info", "Version"): lambda v, f: str(f.get("firmware", "")).removeprefix("V") == v,
    ("s7-info", "System Name"): _same("name"),
    ("s7-info", "Module Type"): _same("module_name", "model"),
    ("s7-info", "Serial Number"): _same("serial", "model"),
    ("s7-info", "Plant Identification"): _same("plant_id", "copyright"),
    ("s7-info", "Copyright"): _same("copyright", "serial"),
    # enip-info: the ListIdentity item.
    ("enip-info", "type"): _paren_number("device_type"),
    ("enip-info", "vendor"): _paren_number("vendor_id"),
    ("enip-info", "productName"): _same("product_name", "model"),
    ("enip-info", "serialNumber"): lambda v, f: str(f.get("serial", "")).lower() == v.lower(),
    ("enip-info", "productCode"): _same("product_code"),
    ("enip-info", "revision"): lambda v, f: (
        f"{f.get('revision_major')}.{f.get('revision_minor')}" == v
    ),
    ("enip-info", "status"): _hex("status"),
    ("enip-info", "state"): _hex("state"),
    ("enip-info", "deviceIp"): _same("socket_address"),
    # bacnet-info: ReadProperty of the device object (instance 4194303).
    ("bacnet-info", "Vendor ID"): _paren_number("vendor_id"),
    ("bacnet-info", "Vendor Name"): _same("vendor"),
    ("bacnet-info", "Object-identifier"): _same("bacnet_device_instance"),
    ("bacnet-info", "Firmware"): _same("firmware"),
    ("bacnet-info", "Application Software"): _same("software_version"),
    ("bacnet-info", "Object Name"): _same("name"),
    ("bacnet-info", "Model Name"): _same("model"),
    ("bacnet-info", "Description"): _same("description"),
    ("bacnet-info", "Location"): _same("location"),
}
"""(nmap script, key) -> how otm's identity fields must hold nmap's value."""


def nmap_facts(xml: str) -> dict[str, dict[tuple[str, str], str]]:
    """Host IP -> (script, key) -> value, from nmap's XML (nested tables flattened)."""
    out: dict[str, dict[tuple[str, str], str]] = {}
    for host in ET.fromstring(xml).iter("host"):
        address = host.find("address[@addrtype='ipv4']")
        assert address is not None
        facts = out.setdefault(address.get("addr", ""), {})
        for script in host.iter("script"):
            for elem in script.iter("elem"):
                key = elem.get("key")
                if key is not None and elem.text is not None:
                    facts[(script.get("id", ""), key)] = elem.text.strip()
    return out


def test_otm_extracts_every_field_nmap_does(tmp_path: Path) -> None:
    (tmp_path / "cpppo.cfg").write_text(CPPPO)
    macs = {"modbus": "00:80:f4:00:00:10", "s7": "00:1b:1b:00:00:11", "enip": "00:00:bc:00:00:12",
            "bacnet": "00:e0:4c:00:00:13", "scanner": "02:00:00:00:00:20"}  # fmt: skip
    with plant(macs) as p, devices() as procs:
        start(procs, p, "modbus", [PY, str(DEVICES / "modbus_device.py"), p.ip("modbus"), "502",
                                   "Acme Controls", "AC-500", "2.7.1", "Acme PLC 500"])  # fmt: skip
        start(procs, p, "s7", [PY, str(DEVICES / "s7_device.py"), p.ip("s7")])
        ahu = [PY, str(HERE / "scan_bacnet_wildcard_device.py"), f"{p.ip('bacnet')}/24", "1001",
               "999", "AHU-500", "3.1.4"]  # fmt: skip
        start(procs, p, "bacnet", ahu)
        enip = subprocess.Popen(
            p.run_in("enip", [PY, "-m", "cpppo.server.enip", "--config", "cpppo.cfg",
                              "--address", "0.0.0.0:44818", "SCADA=INT[10]"]),
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        procs.append(enip)
        time.sleep(2.0)  # cpppo prints nothing when ready
        hosts = [p.ip(h) for h in ("modbus", "s7", "enip", "bacnet")]
        nmap = subprocess.run(
            p.run_in("scanner", ["nmap", "-n", "-Pn", "-sT", "-sU", "-p",
                                 "T:102,502,44818,U:44818,47808", "--script", ",".join(SCRIPTS),
                                 "-oX", "-", *hosts]),
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert nmap.returncode == 0, nmap.stderr[-2000:]
        spec = {"protocols": ["modbus", "s7", "enip", "bacnet"], "allow": ["10.77.0.0/24"],
                "hosts": hosts, "timeout": 1.0}  # fmt: skip
        observations, summary = run_scan(p, "scanner", spec)
    assert summary["errors"] == []
    facts = nmap_facts(nmap.stdout)
    scripts_seen = {script for host in facts.values() for script, _ in host}
    assert scripts_seen == set(SCRIPTS), f"nmap learnt nothing with {set(SCRIPTS) - scripts_seen}"
    missed: list[str] = []
    compared = 0
    for ip, host_facts in facts.items():
        fields = identity(observations, ip=ip)
        for (script, key), value in sorted(host_facts.items()):
            check = NMAP_FIELDS.get((script, key))
            if check is None:
                missed.append(f"{ip} {script} {key}={value!r}: no row in NMAP_FIELDS")
            elif not check(value, fields):
                missed.append(f"{ip} {script} {key}={value!r} not in otm's {fields}")
            compared += 1
    assert not missed, "\n".join(missed)
    assert compared == 28  # 2 modbus + 8 s7 + 9 enip (UDP and TCP alike) + 9 bacnet
