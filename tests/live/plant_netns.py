"""A small plant in network namespaces: a bridge to listen on, devices around it.

``../shared/TESTBED.md`` recipe: a "switch" namespace holds a bridge with no
address; each device or client gets its own namespace joined to the bridge by
a veth pair, a vendor MAC and an address on a private subnet that exists only
there.  Nothing is added to the host's own namespace, and everything is torn
down on exit, even when the test fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SUBNET = "10.77.0"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def namespaces_available() -> str | None:
    """Why the namespaced plant cannot be built here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    return None


@dataclass
class Plant:
    """The namespaces of one test run."""

    tag: str
    switch: str
    bridge: str = "br0"
    hosts: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (netns, ip)

    def netns(self, name: str) -> str:
        return self.hosts[name][0]

    def ip(self, name: str) -> str:
        return self.hosts[name][1]

    def run_in(self, name: str, argv: list[str]) -> list[str]:
        """``argv`` prefixed to run inside host ``name``'s namespace."""
        return ["ip", "netns", "exec", self.netns(name), *argv]

    def on_switch(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.switch, *argv]


@contextmanager
def plant(devices: dict[str, str]) -> Iterator[Plant]:
    """``devices``: name -> MAC.  Host n gets ``10.77.0.(10+n)``."""
    tag = uuid.uuid4().hex[:6]
    p = Plant(tag, f"otm-{tag}-sw")
    made: list[str] = []
    try:
        _ip("netns", "add", p.switch)
        made.append(p.switch)
        sw = ["-n", p.switch]
        subprocess.run(["ip", "netns", "exec", p.switch, "sysctl", "-qw",
                        "net.ipv6.conf.all.disable_ipv6=1"], check=False)  # fmt: skip
        _ip(*sw, "link", "add", p.bridge, "type", "bridge")
        _ip(*sw, "link", "set", p.bridge, "up")
        _ip(*sw, "link", "set", "lo", "up")
        for n, (name, mac) in enumerate(devices.items()):
            ns = f"otm-{tag}-{n}"
            _ip("netns", "add", ns)
            made.append(ns)
            ip = f"{SUBNET}.{10 + n}"
            near, far = f"o{tag}{n}a", f"o{tag}{n}b"
            _ip("link", "add", near, "type", "veth", "peer", "name", far)
            _ip("link", "set", near, "netns", ns)
            _ip("link", "set", far, "netns", p.switch)
            _ip(*sw, "link", "set", far, "master", p.bridge)
            _ip(*sw, "link", "set", far, "up")
            h = ["-n", ns]
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            "net.ipv6.conf.all.disable_ipv6=1"], check=False)  # fmt: skip
            _ip(*h, "link", "set", near, "name", "eth0")
            _ip(*h, "link", "set", "eth0", "address", mac)
            _ip(*h, "addr", "add", f"{ip}/24", "dev", "eth0")
            _ip(*h, "link", "set", "eth0", "up")
            _ip(*h, "link", "set", "lo", "up")
            _ip(*h, "route", "add", "255.255.255.255/32", "dev", "eth0")
            p.hosts[name] = (ns, ip)
        yield p
    finally:
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
