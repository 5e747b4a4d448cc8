"""Alerts for a SIEM: ArcSight CEF, QRadar LEEF 2.0 and JSON lines, one alert a line.

CEF (Micro Focus ArcSight Common Event Format, rev. 25): a header of seven
``|``-separated fields after ``CEF:0`` - vendor, product, version, event
class id (the rule id), name, severity 0-10 - then ``key=value`` extension
pairs.  Header fields escape ``\\`` and ``|``; extension values escape
``\\``, ``=`` and line breaks.  Standard keys carry what they are made for
(``rt``/``start``/``end`` in epoch milliseconds, ``cnt``, ``src``/``dst`` or
``smac``/``dmac``, ``msg``, ``externalId``); the ATT&CK technique and the first
evidence ride in labelled custom strings (``cs1``..``cs3``).

LEEF 2.0 (IBM QRadar Log Event Extended Format): ``LEEF:2.0|vendor|product|
version|event id|^|`` then ``key=value`` attributes separated by the declared
delimiter (``^``, which is therefore replaced in values: LEEF has no
escaping); ``devTime`` in ISO 8601 with its ``devTimeFormat``.

JSON lines: the alert as ``otm.detection.alert_to_dict`` makes it, with its
status, observations left out (they are for the baseline, not the SIEM).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from typing import Any

from otm import __version__
from otm.services.export import iso
from otm.store.detection import StoredAlert

VENDOR = "otm"
PRODUCT = "otm"
CEF_SEVERITY = {"low": 3, "medium": 5, "high": 8, "critical": 10}
LEEF_DELIMITER = "^"


def _cef_header(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _cef_value(value: object) -> str:
    text = str(value)
    return (
        text.replace("\\", "\\\\")
        .replace("=", "\\=")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ends(subjects: list[str]) -> dict[str, str]:
    """src/dst (or smac/dmac) from the alert's subjects: client first, then server."""
    out: dict[str, str] = {}
    for subject, (ip_key, mac_key) in zip(
        subjects, (("src", "smac"), ("dst", "dmac")), strict=False
    ):
        out[ip_key if _is_ip(subject) else mac_key] = subject
    return out


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def cef_line(alert: StoredAlert) -> str:
    """One alert as a CEF line."""
    a = alert.data
    header = "|".join(
        _cef_header(str(x))
        for x in (
            "CEF:0",
            VENDOR,
            PRODUCT,
            __version__,
            a["rule_id"],
            a["name"],
            CEF_SEVERITY[a["severity"]],
        )
    )
    evidence = a["evidence"][0] if a["evidence"] else None
    ext: dict[str, Any] = {
        "rt": _ms(a["last_seen"]),
        "start": _ms(a["first_seen"]),
        "end": _ms(a["last_seen"]),
        "cnt": a["count"],
        **_ends(a["subjects"]),
        "msg": a["message"],
        "externalId": a["id"],
        "cat": a["technique"],
        "cs1Label": "attackTechnique",
        "cs1": f"{a['technique']} {a['technique_name']}",
        "cs2Label": "status",
        "cs2": alert.status,
    }
    if evidence is not None:
        ext["cs3Label"] = "evidence"
        packet = f" #{evidence['packet']}" if evidence.get("packet") is not None else ""
        ext["cs3"] = f"{evidence['source']} {evidence['ref']}{packet}"
    return header + "|" + " ".join(f"{k}={_cef_value(v)}" for k, v in ext.items())


def _leef_value(value: object) -> str:
    return str(value).replace(LEEF_DELIMITER, " ").replace("\n", " ").replace("\r", " ")


def leef_line(alert: StoredAlert) -> str:
    """One alert as a LEEF 2.0 line."""
    a = alert.data
    header = "|".join(
        _leef_value(x).replace("|", " ")
        for x in ("LEEF:2.0", VENDOR, PRODUCT, __version__, a["rule_id"])
    )
    attrs: dict[str, Any] = {
        "devTime": iso(a["last_seen"]),
        "devTimeFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSX",
        "sev": CEF_SEVERITY[a["severity"]],
        "cat": a["technique"],
        **_ends(a["subjects"]),
        "name": a["name"],
        "msg": a["message"],
        "count": a["count"],
        "firstSeen": iso(a["first_seen"]),
        "alertId": a["id"],
        "technique": f"{a['technique']} {a['technique_name']}",
        "status": alert.status,
    }
    body = LEEF_DELIMITER.join(f"{k}={_leef_value(v)}" for k, v in attrs.items())
    return f"{header}|{LEEF_DELIMITER}|{body}"


def json_line(alert: StoredAlert) -> str:
    """One alert as a JSON line (no observations)."""
    data = {k: v for k, v in alert.data.items() if k != "observations"}
    data["status"] = alert.status
    data["first_seen_iso"] = iso(data["first_seen"])
    data["last_seen_iso"] = iso(data["last_seen"])
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


FORMATS = {"cef": cef_line, "leef": leef_line, "jsonl": json_line}
"""Line formatters by name."""


def lines(alerts: Iterable[StoredAlert], fmt: str) -> Iterable[str]:
    """Every alert in ``fmt`` (cef, leef or jsonl); ``ValueError`` for another format."""
    try:
        make = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}") from None
    return (make(a) for a in alerts)
