"""Hypothesis strategies for BACnet messages: valid by construction, so that
``decode(encode(message)) == message`` must hold for every one."""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.bacnet import messages as m
from otm.protocols.bacnet import services as s
from otm.protocols.bacnet import tags as t

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
small_bytes = st.binary(max_size=24)

object_ids = st.builds(t.ObjectIdentifier, st.integers(0, 0x3FF), st.integers(0, 0x3FFFFF))


@st.composite
def character_strings(draw: st.DrawFn) -> t.CharacterString:
    charset = draw(st.integers(0, 5))
    code_page = draw(u16) if charset == 1 else None
    return t.CharacterString(charset, draw(small_bytes), code_page)


@st.composite
def bit_strings(draw: st.DrawFn) -> t.BitString:
    data = draw(st.binary(max_size=8))
    unused = draw(st.integers(0, 7)) if data else 0
    return t.BitString(unused, data)


values: st.SearchStrategy[t.Value] = st.one_of(
    st.just(t.Null()),
    st.builds(t.Boolean, st.booleans()),
    st.builds(t.Unsigned, st.integers(0, (1 << 64) - 1)),
    st.builds(t.Signed, st.integers(-(1 << 63), (1 << 63) - 1)),
    st.builds(t.Real, st.floats(width=32, allow_nan=False)),
    st.builds(t.Double, st.floats(allow_nan=False)),
    st.builds(t.OctetString, small_bytes),
    character_strings(),
    bit_strings(),
    st.builds(t.Enumerated, st.integers(0, (1 << 64) - 1)),
    st.builds(t.Date, u8, u8, u8, u8),
    st.builds(t.Time, u8, u8, u8, u8),
    object_ids,
    st.builds(t.ReservedApplication, st.integers(13, 254), small_bytes),
)

tag_numbers = st.integers(0, 254)

elements: st.SearchStrategy[t.Element] = st.recursive(
    st.one_of(values, st.builds(t.ContextPrimitive, tag_numbers, small_bytes)),
    lambda children: st.builds(
        t.Constructed, tag_numbers, st.lists(children, max_size=4).map(tuple)
    ),
    max_leaves=12,
)

element_tuples = st.lists(elements, max_size=6).map(tuple)

# --- BVLL ---------------------------------------------------------------------------------

bip = st.builds(m.BipAddress, st.binary(min_size=4, max_size=4), u16)

bvlls: st.SearchStrategy[m.Bvll] = st.one_of(
    st.builds(m.BvlcResult, u16),
    st.builds(
        m.BroadcastDistributionTable,
        st.sampled_from([0x01, 0x03]),
        st.lists(st.builds(m.BdtEntry, bip, st.binary(min_size=4, max_size=4)), max_size=3).map(
            tuple
        ),
    ),
    st.builds(m.BvllRequest, st.sampled_from([0x02, 0x06])),
    st.builds(
        m.ForeignDeviceTable, st.lists(st.builds(m.FdtEntry, bip, u16, u16), max_size=3).map(tuple)
    ),
    st.builds(m.RegisterForeignDevice, u16),
    st.builds(m.DeleteForeignDeviceTableEntry, bip),
    st.builds(m.ForwardedNpdu, bip, small_bytes),
    st.builds(m.NpduCarrier, st.sampled_from([0x09, 0x0A, 0x0B]), small_bytes),
    st.builds(m.RawBvll, st.just(0x0C), small_bytes),
)

# --- NPDU -----------------------------------------------------------------------------------


@st.composite
def network_messages(draw: st.DrawFn) -> m.NetworkMessage:
    kind = draw(st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x0B, 0x12, 0x13, 0x80, 0xFF]))
    vendor = draw(u16) if kind >= 0x80 else None
    if kind == 0x00:
        data = draw(st.sampled_from([b"", b"\x00\x07"]))
    elif kind in (0x01, 0x04):
        data = b"".join(n.to_bytes(2, "big") for n in draw(st.lists(u16, max_size=4)))
    elif kind in (0x02, 0x03, 0x13):
        data = draw(st.binary(min_size=3, max_size=3))
    elif kind == 0x06:
        ports = draw(st.lists(st.tuples(u16, u8, st.binary(max_size=4)), max_size=3))
        data = bytes((len(ports),)) + b"".join(
            n.to_bytes(2, "big") + bytes((p, len(info))) + info for n, p, info in ports
        )
    elif kind == 0x12:
        data = b""
    else:
        data = draw(small_bytes)
    return m.NetworkMessage(kind, vendor, data)


@st.composite
def npdus(draw: st.DrawFn) -> m.Npdu:
    destination = draw(st.none() | st.builds(m.NetworkAddress, u16, st.binary(max_size=8)))
    source = draw(
        st.none()
        | st.builds(m.NetworkAddress, st.integers(0, 0xFFFE), st.binary(min_size=1, max_size=8))
    )
    hop = draw(u8) if destination is not None else None
    message = draw(st.none() | network_messages())
    apdu = b"" if message is not None else draw(st.binary(min_size=1, max_size=24))
    return m.Npdu(
        draw(st.booleans()),
        draw(st.integers(0, 3)),
        destination,
        source,
        hop,
        message,
        apdu,
        draw(st.sampled_from([0, 0x10, 0x40, 0x50])),
    )


# --- APDU -----------------------------------------------------------------------------------


@st.composite
def confirmed_requests(draw: st.DrawFn) -> m.ConfirmedRequest:
    segmented = draw(st.booleans())
    return m.ConfirmedRequest(
        segmented,
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.integers(0, 7)),
        draw(st.integers(0, 15)),
        draw(u8),
        draw(u8) if segmented else None,
        draw(u8) if segmented else None,
        draw(u8),
        draw(small_bytes),
    )


@st.composite
def complex_acks(draw: st.DrawFn) -> m.ComplexAck:
    segmented = draw(st.booleans())
    return m.ComplexAck(
        segmented,
        draw(st.booleans()),
        draw(u8),
        draw(u8) if segmented else None,
        draw(u8) if segmented else None,
        draw(u8),
        draw(small_bytes),
    )


apdus: st.SearchStrategy[m.Apdu] = st.one_of(
    confirmed_requests(),
    st.builds(m.UnconfirmedRequest, u8, small_bytes),
    st.builds(m.SimpleAck, u8, u8),
    complex_acks(),
    st.builds(m.SegmentAck, st.booleans(), st.booleans(), u8, u8, u8),
    st.builds(m.Error, u8, u8, small_bytes),
    st.builds(m.Reject, u8, u8),
    st.builds(m.Abort, st.booleans(), u8, u8),
)

# --- services -----------------------------------------------------------------------------

unsigned = st.integers(0, (1 << 32) - 1)
optional_unsigned = st.none() | unsigned
limits = st.one_of(
    st.just((None, None)), st.tuples(st.integers(0, 0x3FFFFF), st.integers(0, 0x3FFFFF))
)
value_tuples = st.lists(elements, max_size=3).map(tuple)


@st.composite
def who_has(draw: st.DrawFn) -> s.WhoHas:
    low, high = draw(limits)
    if draw(st.booleans()):
        return s.WhoHas(low, high, draw(object_ids), None)
    return s.WhoHas(low, high, None, draw(character_strings()))


property_results = st.one_of(
    st.builds(s.PropertyResult, unsigned, optional_unsigned, value_tuples),
    st.builds(s.PropertyResult, unsigned, optional_unsigned, st.none(), unsigned, unsigned),
)

unconfirmed_messages = st.one_of(
    limits.map(lambda lh: s.WhoIs(*lh)),
    st.builds(s.IAm, object_ids, unsigned, unsigned, st.integers(0, 0xFFFF)),
    who_has(),
    st.builds(s.IHave, object_ids, object_ids, character_strings()),
    st.builds(
        s.TimeSynchronization,
        st.builds(t.Date, u8, u8, u8, u8),
        st.builds(t.Time, u8, u8, u8, u8),
    ),
)
"""(Unconfirmed service choice is chosen by the test from the message type.)"""

request_messages = st.one_of(
    st.builds(s.ReadPropertyRequest, object_ids, unsigned, optional_unsigned),
    st.builds(
        s.ReadPropertyMultipleRequest,
        st.lists(
            st.builds(
                s.ReadAccessSpecification,
                object_ids,
                st.lists(
                    st.builds(s.PropertyReference, unsigned, optional_unsigned), max_size=3
                ).map(tuple),
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
    ),
    st.builds(
        s.WritePropertyRequest,
        object_ids,
        unsigned,
        optional_unsigned,
        value_tuples,
        st.none() | st.integers(1, 16),
    ),
    st.builds(
        s.DeviceCommunicationControlRequest,
        optional_unsigned,
        st.integers(0, 2),
        st.none() | character_strings(),
    ),
    st.builds(s.ReinitializeDeviceRequest, st.integers(0, 7), st.none() | character_strings()),
)

ack_messages = st.one_of(
    st.builds(s.ReadPropertyAck, object_ids, unsigned, optional_unsigned, value_tuples),
    st.builds(
        s.ReadPropertyMultipleAck,
        st.lists(
            st.builds(
                s.ReadAccessResult,
                object_ids,
                st.none() | st.lists(property_results, max_size=3).map(tuple),
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
    ),
)
