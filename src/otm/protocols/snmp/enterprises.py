"""IANA private enterprise numbers of OT and network vendors, offline.

A device's sysObjectID lies under ``1.3.6.1.4.1.N``, N being the enterprise
number IANA assigned to its maker (https://www.iana.org/assignments/
enterprise-numbers, as copied in Wireshark's ``enterprises.tsv``).  The full
registry has about 60,000 entries, mostly unrelated to plants; this table
keeps the vendors of industrial automation and of the network gear found in
plants, so the inventory can name the vendor without any lookup at run time.
Each row is (number, short vendor name otm shows, assignee as registered).
Adding a vendor is adding a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_ROWS: tuple[tuple[int, str, str], ...] = (
    (9, "Cisco", "ciscoSystems"),
    (11, "Hewlett-Packard", "Hewlett-Packard"),
    (95, "Rockwell Automation", "Rockwell Automation, Inc. (formerly Allen-Bradley Company)"),
    (244, "Lantronix", "Lantronix"),
    (248, "Hirschmann", "Richard Hirschmann GmbH & Co."),
    (318, "APC", "American Power Conversion Corp."),
    (332, "Digi International", "Digi International"),
    (409, "Mitsubishi Electric", "Mitsubishi Electric Corporation"),
    (534, "Eaton", "Eaton Corporation"),
    (553, "GarrettCom", "GarrettCom, Inc"),
    (908, "ABB", "ABB Inc. (formerly Elsag Bailey Incorporated)"),
    (1890, "Red Lion Controls", "Red Lion Controls (JBM Electronics)"),
    (1916, "Extreme Networks", "Extreme Networks"),
    (2011, "Huawei", "HUAWEI Technology Co.,Ltd"),
    (2636, "Juniper Networks", "Juniper Networks, Inc."),
    (2882, "Pepperl+Fuchs", "Pepperl+Fuchs Comtrol"),
    (2910, "General Electric", "General Electric Company"),
    (3442, "Advantech", "Advantech Inc."),
    (3683, "Honeywell", "Honeywell Oy, Varkaus"),
    (3833, "Schneider Electric", "Schneider Electric"),
    (4196, "Siemens", "Siemens AG Automation & Drives"),
    (4329, "Siemens", "Siemens AG"),
    (4346, "Phoenix Contact", "Phoenix Contact GmbH & Co."),
    (4473, "Opto 22", "Opto 22"),
    (5130, "Omron", "Omron Canada Inc."),
    (6075, "Siemens", "Siemens AG"),
    (7427, "Yokogawa", "Yokogawa Electric Corporation"),
    (7793, "HMS", "HMS"),
    (8691, "Moxa", "Moxa Technologies Co., Ltd."),
    (10297, "Advantech", "Advantech Co., Ltd."),
    (12356, "Fortinet", "Fortinet, Inc."),
    (13248, "General Electric", "General Electric Power Management"),
    (13576, "WAGO", "WAGO Kontakttechnik GmbH"),
    (14823, "Aruba", "Aruba, a Hewlett Packard Enterprise company"),
    (14988, "MikroTik", "MikroTik"),
    (15004, "RuggedCom", "RuggedCom Inc."),
    (16177, "Westermo", "Westermo Teleindustri AB"),
    (16838, "Omron", "Omron Corporation"),
    (20998, "Honeywell", "Honeywell International Inc"),
    (21108, "Harting", "Harting Electric GmbH & Co KG"),
    (24866, "Turck", "Hans Turck GmbH & Co. KG"),
    (24893, "GE Intelligent Platforms", "Intelligent Platforms, LLC"),
    (25157, "Beckhoff", "Beckhoff Automation GmbH & Co. KG"),
    (25461, "Palo Alto Networks", "PALO ALTO NETWORKS"),
    (25761, "ABB", "ABB Automation GmbH"),
    (27378, "Belden", "Belden"),
    (27527, "ABB", "ABB Ltd"),
    (28381, "Red Lion Controls", "Red Lion Controls (N-Tron)"),
    (29312, "B&R", "B&R Industrial Automation GmbH"),
    (30065, "Arista Networks", "Arista Networks, Inc."),
    (30722, "ProSoft Technology", "ProSoft Technology"),
    (31127, "Emerson", "Emerson Process Management"),
    (31823, "Schweitzer Engineering Laboratories", "Schweitzer Engineering Laboratories, Inc."),
    (38113, "Red Lion Controls", "Red Lion Controls Inc."),
    (38187, "Weidmüller", "Weidmüller Interface GmbH & Co. KG"),
    (41112, "Ubiquiti", "Ubiquiti Networks, Inc."),
    (42147, "Pepperl+Fuchs", "Pepperl+Fuchs SE"),
    (43144, "HMS", "HMS Industrial Networks"),
    (47196, "Hewlett Packard Enterprise", "Hewlett Packard Enterprise"),
    (48690, "Teltonika", "Teltonika"),
)

ENTERPRISE_VENDORS: Mapping[int, str] = MappingProxyType({n: v for n, v, _ in _ROWS})
"""Enterprise number -> the vendor name otm records."""

ENTERPRISE_ASSIGNEES: Mapping[int, str] = MappingProxyType({n: a for n, _, a in _ROWS})
"""Enterprise number -> the assignee as IANA registered it."""


def enterprise_number(oid: str) -> int | None:
    """N of an OID under ``1.3.6.1.4.1.N``, or None (no ``int`` of a huge string)."""
    if not oid.startswith("1.3.6.1.4.1."):
        return None
    arc = oid[12:].split(".", 1)[0]
    if not (arc.isascii() and arc.isdigit()) or len(arc) > 10:
        return None
    return int(arc)


def enterprise_vendor(oid: str) -> str | None:
    """The vendor of a sysObjectID (or any OID) when its enterprise is in the table."""
    number = enterprise_number(oid)
    return None if number is None else ENTERPRISE_VENDORS.get(number)
