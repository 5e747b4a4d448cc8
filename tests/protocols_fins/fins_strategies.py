"""Hypothesis strategies that build every FINS message shape the encoders accept."""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.fins import (
    AreaData,
    ControllerData,
    ControllerStatus,
    FinsCommand,
    FinsHeader,
    FinsResponse,
    FinsTcpMessage,
    MemoryAddress,
    MemoryAreaFill,
    MemoryAreaRead,
    MemoryAreaTransfer,
    MemoryAreaWrite,
    MultipleMemoryAreaRead,
    NodeAddressRequest,
    NodeAddressResponse,
    RunCommand,
    UnitConfiguration,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


def headers(response: bool) -> st.SearchStrategy[FinsHeader]:
    icf = st.sampled_from([0x80, 0x81, 0x00, 0x01]).map(lambda v: v | (0x40 if response else 0))
    return st.builds(FinsHeader, icf, st.just(0), u8, u8, u8, u8, u8, u8, u8, u8)


def commands(max_data: int = 120) -> st.SearchStrategy[FinsCommand]:
    return st.builds(FinsCommand, headers(False), u16, st.binary(max_size=max_data))


def responses(max_data: int = 120) -> st.SearchStrategy[FinsResponse]:
    return st.builds(FinsResponse, headers(True), u16, u16, st.binary(max_size=max_data))


def frames() -> st.SearchStrategy[FinsCommand | FinsResponse]:
    return st.one_of(commands(), responses())


def _raw_tcp(command: int, data: bytes) -> FinsTcpMessage | None:
    if command == 2 or (command == 0 and len(data) == 4) or (command == 1 and len(data) == 8):
        return None
    return FinsTcpMessage(command, 0, data)


def tcp_messages() -> st.SearchStrategy[FinsTcpMessage]:
    node_request = st.builds(lambda n, e: FinsTcpMessage(0, e, NodeAddressRequest(n)), u32, u32)
    node_response = st.builds(
        lambda c, s, e: FinsTcpMessage(1, e, NodeAddressResponse(c, s)), u32, u32, u32
    )
    frame_send = st.builds(lambda f, e: FinsTcpMessage(2, e, f), frames(), u32)
    raw = (
        st.tuples(st.one_of(st.sampled_from([0, 1, 3, 6]), u32), st.binary(max_size=40))
        .map(lambda t: _raw_tcp(*t))
        .filter(lambda m: m is not None)
    )
    return st.one_of(node_request, node_response, frame_send, raw)  # type: ignore[arg-type]


def addresses() -> st.SearchStrategy[MemoryAddress]:
    return st.builds(MemoryAddress, u8, u16, u8)


def parameters() -> st.SearchStrategy[object]:
    run = st.one_of(
        st.just(RunCommand(None, None)),
        st.builds(RunCommand, u16, st.none()),
        st.builds(RunCommand, u16, st.sampled_from([0, 1, 2, 4])),
    )
    return st.one_of(
        st.builds(MemoryAreaRead, addresses(), u16),
        st.builds(MemoryAreaWrite, addresses(), u16, st.binary(max_size=40)),
        st.builds(MemoryAreaFill, addresses(), u16, u16),
        st.builds(
            MultipleMemoryAreaRead, st.lists(addresses(), min_size=1, max_size=20).map(tuple)
        ),
        st.builds(MemoryAreaTransfer, addresses(), addresses(), u16),
        run,
    )


def area_data() -> st.SearchStrategy[AreaData]:
    return st.builds(AreaData, u16, u8, u16, u8, u8, u16, st.integers(0, 4), u16)


def unit_configurations() -> st.SearchStrategy[UnitConfiguration]:
    return st.builds(
        UnitConfiguration,
        st.lists(u16, min_size=16, max_size=16).map(tuple),
        st.binary(min_size=32, max_size=32),
        u8,
        u8,
        u8,
    )


def _text(size: int) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=size, max_size=size)


@st.composite
def controller_data(draw: st.DrawFn) -> ControllerData:
    """Every layout a unit sends: all parts, a prefix of them, or the unit block alone."""
    if draw(st.booleans()):
        return ControllerData(None, None, None, None, draw(unit_configurations()))
    parts = draw(st.integers(0, 5))
    model = draw(_text(20)) if parts >= 1 else None
    version = draw(_text(20)) if parts >= 2 else None
    system = draw(_text(40)) if parts >= 3 else None
    area = draw(area_data()) if parts >= 4 else None
    units = draw(unit_configurations()) if parts >= 5 else None
    room = {0: 20, 1: 20, 2: 40, 3: 12, 4: 67, 5: 64}[parts]
    extra = draw(st.binary(max_size=room - 1))
    size = [0, 20, 40, 80, 92, 159][parts] + len(extra)
    if size == 67:
        extra = extra[:-1]
    return ControllerData(model, version, system, area, units, extra)


@st.composite
def controller_status(draw: st.DrawFn) -> ControllerStatus:
    fixed = draw(st.tuples(u8, u8, u16, u16, u16, u16))
    if draw(st.booleans()):
        return ControllerStatus(*fixed, draw(_text(16)), draw(st.binary(max_size=8)))
    return ControllerStatus(*fixed, None, draw(st.binary(max_size=15)))
