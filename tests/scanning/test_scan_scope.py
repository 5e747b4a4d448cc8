"""The scope: only networks the user named, no broadcast unless named, no multicast ever."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otm.scanning.safety import MAX_HOSTS, OutOfScope, Scope


def test_addresses_inside_are_accepted_outside_refused() -> None:
    scope = Scope.parse(["10.0.0.0/24", "192.168.5.7"])
    assert str(scope.check("10.0.0.1")) == "10.0.0.1"
    assert str(scope.check("192.168.5.7")) == "192.168.5.7"
    for outside in ("10.0.1.1", "192.168.5.8", "8.8.8.8", "::1"):
        with pytest.raises(OutOfScope, match="outside"):
            scope.check(outside)


@pytest.mark.parametrize("address", ["10.0.0.0", "10.0.0.255"])
def test_network_and_broadcast_addresses_need_the_broadcast_domain(address: str) -> None:
    with pytest.raises(OutOfScope, match="broadcast"):
        Scope.parse(["10.0.0.0/24"]).check(address)
    assert Scope.parse(["10.0.0.0/24"], ["10.0.0.0/24"]).check(address)


def test_a_subnet_broadcast_inside_a_larger_allowance_is_refused_unless_named() -> None:
    scope = Scope.parse(["10.0.0.0/16"], ["10.0.1.0/24"])
    assert scope.check("10.0.1.255")  # the named broadcast domain
    with pytest.raises(OutOfScope):
        scope.check("10.0.255.255")  # the /16's own broadcast, not named
    assert scope.broadcast_addresses() == ["10.0.1.255"]


def test_hosts_named_one_by_one_are_never_broadcasts() -> None:
    scope = Scope.parse(["10.0.0.8/30", "10.0.0.11/32", "10.0.0.20/31"])
    assert scope.check("10.0.0.11") and scope.check("10.0.0.20") and scope.check("10.0.0.21")
    assert list(scope.hosts()) == ["10.0.0.9", "10.0.0.10", "10.0.0.11", "10.0.0.20", "10.0.0.21"]


@pytest.mark.parametrize(
    "address", ["255.255.255.255", "224.0.0.1", "239.255.255.250", "0.0.0.0", "ff02::1", "junk"]
)
def test_multicast_limited_broadcast_and_junk_are_always_refused(address: str) -> None:
    scope = Scope.parse(["0.0.0.0/0", "::/0"], ["0.0.0.0/0"])
    with pytest.raises(OutOfScope):
        scope.check(address)


def test_broadcast_domains_must_be_inside_an_allowed_ipv4_network() -> None:
    with pytest.raises(ValueError, match="not inside"):
        Scope.parse(["10.0.0.0/24"], ["10.0.1.0/24"])
    with pytest.raises(ValueError, match="IPv4"):
        Scope.parse(["fd00::/64"], ["fd00::/64"])
    with pytest.raises(ValueError, match="at least one"):
        Scope.parse([])
    with pytest.raises(ValueError, match="not a network"):
        Scope.parse(["10.0.0.1/24"])  # host bits set: probably a typo


def test_hosts_enumerates_without_edges_or_repeats_and_refuses_huge_sweeps() -> None:
    scope = Scope.parse(["10.0.0.0/30", "10.0.0.0/29"])
    # 10.0.0.3 is a host of the /29 but the broadcast of the /30: refused, conservatively
    assert list(scope.hosts()) == [f"10.0.0.{n}" for n in (1, 2, 4, 5, 6)]
    with pytest.raises(OutOfScope, match="more than"):
        next(Scope.parse(["10.0.0.0/8"]).hosts())
    assert sum(1 for _ in Scope.parse(["10.0.0.0/16"]).hosts(MAX_HOSTS)) == 65534


def test_layer2_needs_the_interface_named() -> None:
    scope = Scope.parse(["10.0.0.0/24"], interfaces=["eth1"])
    assert scope.check_interface("eth1") == "eth1"
    with pytest.raises(OutOfScope):
        scope.check_interface("eth0")


@given(net=st.integers(0, 2**32 - 1), prefix=st.integers(8, 32), probe=st.integers(0, 2**32 - 1))
def test_check_accepts_exactly_the_hosts_of_the_network(net: int, prefix: int, probe: int) -> None:
    network = ipaddress.IPv4Network((net, prefix), strict=False)
    if network.is_multicast or network.overlaps(ipaddress.IPv4Network("224.0.0.0/3")):
        return
    scope = Scope((network,))
    address = ipaddress.IPv4Address(probe)
    expected = (
        address in network
        and not address.is_unspecified
        and (prefix >= 31 or address not in (network.network_address, network.broadcast_address))
    )
    assert scope.contains(str(address)) == expected
