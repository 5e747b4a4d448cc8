"""The plant network in Linux network namespaces: a switch, one namespace a device, an uplink.

Layout (the team's testbed recipe, plus an uplink for otm itself)::

    host namespace                switch namespace            device namespaces
    otmdemo-<id> 10.77.N.1/24 ── uplink ─┐
                                         br0 ── p10 ── eth0 10.77.N.10  tank-plc
                                          ├──── p11 ── eth0 10.77.N.11  line-plc
                                          └──── ...

- the bridge lives in a namespace of its own, with no address, so the
  host's firewall never sees traffic between devices;
- each device has a namespace, a veth whose far end is a bridge port, its
  vendor's MAC, an address on the plant subnet, IPv6 off (captures without
  router solicitations), and a ``255.255.255.255/32`` route so limited
  broadcast discovery (EtherNet/IP, BACnet) stays on the bridge instead of
  failing with "Network is unreachable"; no default route anywhere;
- one veth pair joins the host namespace to the bridge: its host end
  (``otmdemo-<id>``, address ``.1``) is how otm, running unchanged in the
  host namespace, scans, polls and captures every device on its standard
  port.

Every name carries a six-hex-digit run id, so two plants (a test and a demo)
never collide; each takes the first free ``10.77.N.0/24`` from N = 100 (the
team's live tests use 10.77.0.0/24).  A run holds ``flock`` on
``/run/otm-demo/<id>.lock`` while it lives; the kernel drops the lock when
the process dies however it dies, so at the next start any ``otmdemo-``
namespace or link whose lock can be taken is a leftover of a killed run and
is removed (its processes killed first).  Creation and the leftover sweep
run under one global lock (``start.lock``), so two starts never race.

Namespace removal is asynchronous in the kernel (a deleted namespace's
interfaces linger a moment); the host link is therefore deleted explicitly,
so nothing is left in the host namespace when ``teardown`` returns.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from otm.simulation.network import Slot
from otm.simulation.spec import STANDARD_PORTS, DemoDevice

PREFIX = "otmdemo"
STATE_DIR = Path("/run/otm-demo")
FIRST_SUBNET, LAST_SUBNET = 100, 199
"""Plant subnets 10.77.100.0/24 .. 10.77.199.0/24, the first free one taken."""
IP_SECONDS = 15.0
"""Longest one ``ip`` command may take (a loaded machine, many namespaces)."""

_NETNS = re.compile(rf"^{PREFIX}-([0-9a-f]{{6}})-\S+")
_LINK = re.compile(rf"^{PREFIX}-([0-9a-f]{{6}})$")


class NetnsError(RuntimeError):
    """The namespaced network could not be built (the ``ip`` command's own words)."""


def unavailable() -> str | None:
    """Why namespaces cannot be used here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 (the ip command) is not installed"
    return None


def _run(argv: Sequence[str], check: bool = True) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=IP_SECONDS,
                              check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NetnsError(f"{' '.join(argv)}: {exc}") from None
    if check and done.returncode != 0:
        raise NetnsError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def _ip(*args: str, netns: str | None = None) -> str:
    return _run(["ip", *(("-n", netns) if netns else ()), *args])


def _no_ipv6(netns: str) -> None:
    """IPv6 off in a namespace, for interfaces there now and later (quiet captures)."""
    _run(["ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
          "net.ipv6.conf.default.disable_ipv6=1"], check=False)  # fmt: skip


def namespaces() -> list[str]:
    """Names of the network namespaces that exist now."""
    return [line.split()[0] for line in _run(["ip", "netns", "list"], check=False).splitlines()
            if line.strip()]  # fmt: skip


def host_links() -> list[str]:
    """Names of the host namespace's interfaces."""
    out = _run(["ip", "-o", "link", "show"], check=False)
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _try_lock(run_id: str) -> int | None:
    """The run's lock file descriptor, locked, or None when a live run holds it."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    fd = os.open(STATE_DIR / f"{run_id}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _kill_inside(netns: str) -> None:
    """SIGKILL every process still in ``netns`` (a leftover's devices)."""
    for pid in _run(["ip", "netns", "pids", netns], check=False).split():
        with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
            os.kill(int(pid), signal.SIGKILL)


def _remove(run_id: str, netns_names: Sequence[str]) -> None:
    """Everything of run ``run_id``: its host link, its namespaces (processes first)."""
    link = f"{PREFIX}-{run_id}"
    if link in host_links():
        _run(["ip", "link", "del", link], check=False)
    for name in netns_names:
        _kill_inside(name)
        _run(["ip", "netns", "del", name], check=False)


def sweep_leftovers() -> list[str]:
    """Remove what killed runs left behind (see the module docstring); the names removed."""
    if unavailable() is not None:
        return []
    with _locked(STATE_DIR / "start.lock"):
        return _sweep()


def _sweep() -> list[str]:
    found: dict[str, list[str]] = {}
    for name in namespaces():
        match = _NETNS.match(name)
        if match:
            found.setdefault(match.group(1), []).append(name)
    for name in host_links():
        match = _LINK.match(name)
        if match:
            found.setdefault(match.group(1), [])
    removed: list[str] = []
    for run_id, names in sorted(found.items()):
        fd = _try_lock(run_id)
        if fd is None:
            continue  # a live run
        try:
            _remove(run_id, names)
            removed += [f"{PREFIX}-{run_id}", *names]
            with contextlib.suppress(FileNotFoundError):
                (STATE_DIR / f"{run_id}.lock").unlink()
        finally:
            os.close(fd)
    return removed


def free_subnet() -> ipaddress.IPv4Network:
    """The first 10.77.N.0/24 (N from 100) no address of the host namespace is in."""
    used: list[ipaddress.IPv4Network] = []
    for line in _run(["ip", "-4", "-o", "addr", "show"], check=False).splitlines():
        parts = line.split()
        if "inet" in parts:
            used.append(ipaddress.IPv4Interface(parts[parts.index("inet") + 1]).network)
    for n in range(FIRST_SUBNET, LAST_SUBNET + 1):
        candidate = ipaddress.IPv4Network(f"10.77.{n}.0/24")
        if not any(candidate.overlaps(net) for net in used):
            return candidate
    raise NetnsError(f"no free plant subnet in 10.77.{FIRST_SUBNET}-{LAST_SUBNET}.0/24")


class NetnsNetwork:
    """One run's namespaces: ``build`` them, ``wrap`` commands into them, ``teardown``."""

    mode = "netns"

    def __init__(self) -> None:
        self.run_id = secrets.token_hex(3)
        self.switch = f"{PREFIX}-{self.run_id}-sw"
        self.interface = f"{PREFIX}-{self.run_id}"
        self.subnet: ipaddress.IPv4Network | None = None
        self.swept: list[str] = []
        self._lock_fd: int | None = None
        self._made: list[str] = []

    @property
    def host_ip(self) -> str:
        """otm's own address on the plant subnet (the uplink's, ``.1``)."""
        if self.subnet is None:
            raise NetnsError("the network is not built")
        return str(self.subnet.network_address + 1)

    def device_netns(self, device: DemoDevice) -> str:
        """The namespace of ``device`` in this run."""
        return f"{PREFIX}-{self.run_id}-{device.name}"

    def build(self, devices: Sequence[DemoDevice]) -> dict[str, Slot]:
        """Sweep leftovers, then build switch, uplink and device namespaces; slot per device.

        On failure whatever was made is removed and ``NetnsError`` raised.
        """
        reason = unavailable()
        if reason is not None:
            raise NetnsError(reason)
        with _locked(STATE_DIR / "start.lock"):
            self.swept = _sweep()
            self._lock_fd = _try_lock(self.run_id)
            if self._lock_fd is None:  # pragma: no cover - a 24-bit id collision
                raise NetnsError(f"run id {self.run_id} is taken")
            try:
                self.subnet = free_subnet()
                return self._build(devices, self.subnet)
            except BaseException:
                self.teardown()
                raise

    def _build(
        self, devices: Sequence[DemoDevice], subnet: ipaddress.IPv4Network
    ) -> dict[str, Slot]:
        sw = self.switch
        _ip("netns", "add", sw)
        self._made.append(sw)
        _no_ipv6(sw)
        _ip("link", "add", "br0", "type", "bridge", netns=sw)
        _ip("link", "set", "br0", "up", netns=sw)
        _ip("link", "set", "lo", "up", netns=sw)
        host = self.interface
        _ip("link", "add", "name", host, "type", "veth", "peer", "name", "uplink", "netns", sw)
        ipv6 = Path(f"/proc/sys/net/ipv6/conf/{host}/disable_ipv6")
        if ipv6.exists():
            ipv6.write_text("1\n")
        _ip("link", "set", "uplink", "master", "br0", netns=sw)
        _ip("link", "set", "uplink", "up", netns=sw)
        _ip("addr", "add", f"{self.host_ip}/{subnet.prefixlen}", "dev", host)
        _ip("link", "set", host, "up")
        slots: dict[str, Slot] = {}
        for device in devices:
            ns = self.device_netns(device)
            ip = str(subnet.network_address + device.host)
            port = f"p{device.host}"
            _ip("netns", "add", ns)
            self._made.append(ns)
            _no_ipv6(ns)
            _ip("link", "add", "name", port, "netns", sw, "type", "veth", "peer", "name", "eth0",
                "netns", ns)  # fmt: skip
            _ip("link", "set", port, "master", "br0", netns=sw)
            _ip("link", "set", port, "up", netns=sw)
            _ip("link", "set", "eth0", "address", device.mac, netns=ns)
            _ip("addr", "add", f"{ip}/{subnet.prefixlen}", "dev", "eth0", netns=ns)
            _ip("link", "set", "eth0", "up", netns=ns)
            _ip("link", "set", "lo", "up", netns=ns)
            _ip("route", "add", "255.255.255.255/32", "dev", "eth0", netns=ns)
            # cpppo bound to its own address never hears a broadcast ListIdentity
            bind = "0.0.0.0" if device.kind == "enip" else ip
            slots[device.name] = Slot(ns, ip, STANDARD_PORTS[device.kind], bind)
        return slots

    def wrap(self, slot: Slot, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the device's namespace."""
        return ["ip", "netns", "exec", slot.netns, *argv]

    def teardown(self) -> None:
        """Remove the host link and every namespace (processes in them killed); never raises."""
        with contextlib.suppress(NetnsError):  # _remove runs its commands unchecked anyway
            _remove(self.run_id, list(reversed(self._made)))
        self._made.clear()
        if self._lock_fd is not None:
            with contextlib.suppress(FileNotFoundError):
                (STATE_DIR / f"{self.run_id}.lock").unlink()
            os.close(self._lock_fd)
            self._lock_fd = None
