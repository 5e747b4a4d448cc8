"""Hypothesis strategies and a seeded generator for every SNMP message shape.

The strategies build messages the encoder accepts (values inside their
types' ranges, OIDs BER can carry); ``sample_messages`` draws a fixed,
seeded set of them without hypothesis, for the tshark oracle's generated
capture.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from otm.protocols.snmp import codec
from otm.protocols.snmp.constants import UNSIGNED_LIMITS, PduType, ValueType
from otm.protocols.snmp.messages import (
    AnyPdu,
    BulkPdu,
    CommunityMessage,
    Message,
    Pdu,
    ScopedPdu,
    TrapPdu,
    UsmSecurityParameters,
    V3Message,
    Value,
    VarBind,
)

INT32 = st.integers(-(2**31), 2**31 - 1)
U32 = st.integers(0, 2**32 - 1)
WIDE = st.integers(-(2**71), 2**71 - 1)
"""Any value a nine-byte INTEGER holds."""

PLAIN_PDU_TYPES = [t for t in PduType if t not in (PduType.TRAP, PduType.GET_BULK_REQUEST)]


def oids() -> st.SearchStrategy[str]:
    first = st.sampled_from([0, 1, 2])
    return st.tuples(first, st.integers(0, 39), st.lists(U32, max_size=12)).map(
        lambda t: ".".join(map(str, (t[0], t[1], *t[2])))
    )


def values() -> st.SearchStrategy[tuple[int, Value]]:
    """(value type, value) of every SMI type."""
    options: list[st.SearchStrategy[tuple[int, Value]]] = [
        WIDE.map(lambda v: (ValueType.INTEGER, v)),
        st.binary(max_size=40).map(lambda v: (ValueType.OCTET_STRING, v)),
        st.just((ValueType.NULL, None)),
        oids().map(lambda v: (ValueType.OBJECT_IDENTIFIER, v)),
        st.binary(min_size=4, max_size=4).map(lambda v: (ValueType.IP_ADDRESS, v)),
        st.binary(max_size=12).map(lambda v: (ValueType.OPAQUE, v)),
        st.binary(max_size=8).map(lambda v: (ValueType.NSAP_ADDRESS, v)),
        st.just((ValueType.NO_SUCH_OBJECT, None)),
        st.just((ValueType.NO_SUCH_INSTANCE, None)),
        st.just((ValueType.END_OF_MIB_VIEW, None)),
    ]
    for tag, limit in UNSIGNED_LIMITS.items():
        options.append(st.integers(0, limit).map(lambda v, t=tag: (t, v)))
    return st.one_of(options)


def varbinds() -> st.SearchStrategy[tuple[VarBind, ...]]:
    bind = st.tuples(oids(), values()).map(lambda t: VarBind(t[0], t[1][0], t[1][1]))
    return st.lists(bind, max_size=6).map(tuple)


def pdus() -> st.SearchStrategy[AnyPdu]:
    plain = st.builds(
        Pdu, st.sampled_from(PLAIN_PDU_TYPES), INT32, st.integers(0, 18), INT32, varbinds()
    )
    bulk = st.builds(BulkPdu, INT32, st.integers(0, 100), st.integers(0, 100), varbinds())
    trap = st.builds(
        TrapPdu,
        oids(),
        st.binary(min_size=4, max_size=4),
        st.integers(0, 6),
        INT32,
        U32,
        varbinds(),
    )
    return st.one_of(plain, bulk, trap)


def community_messages() -> st.SearchStrategy[CommunityMessage]:
    return st.builds(CommunityMessage, st.sampled_from([0, 1]), st.binary(max_size=20), pdus())


def usm_parameters() -> st.SearchStrategy[UsmSecurityParameters]:
    return st.builds(
        UsmSecurityParameters,
        st.binary(max_size=32),
        st.integers(0, 2**31 - 1),
        st.integers(0, 2**31 - 1),
        st.binary(max_size=32),
        st.binary(max_size=12),
        st.binary(max_size=8),
    )


def _v3(
    msg_id: int, size: int, flags: bytes, usm: UsmSecurityParameters | None, data: ScopedPdu | bytes
) -> V3Message:
    if usm is None:
        return V3Message(msg_id, size, flags, 2, b"\x01\x02", None, data)
    return V3Message(msg_id, size, flags, 3, codec.encode_usm(usm), usm, data)


def v3_messages() -> st.SearchStrategy[V3Message]:
    scoped = st.builds(ScopedPdu, st.binary(max_size=16), st.binary(max_size=16), pdus())
    data = st.one_of(scoped, st.binary(max_size=64))
    return st.builds(
        _v3,
        st.integers(0, 2**31 - 1),
        st.integers(484, 65507),
        st.binary(min_size=1, max_size=1),
        st.one_of(st.none(), usm_parameters()),
        data,
    )


def messages() -> st.SearchStrategy[Message]:
    return st.one_of(community_messages(), v3_messages())


# --- a seeded sample, for the generated oracle capture ---------------------------------------


def _oid(rng: random.Random) -> str:
    first = rng.choice([0, 1, 2])
    second = rng.randrange(40) if first < 2 else rng.choice([0, 5, 39, 100, 999])
    rest = [
        rng.choice([0, 1, 127, 128, 255, 16383, 16384, 2**31, 2**32 - 1, rng.randrange(10**6)])
        for _ in range(rng.randrange(1, 10))
    ]
    return ".".join(map(str, (first, second, *rest)))


def _value(rng: random.Random, tag: int) -> Value:
    if tag == ValueType.INTEGER:
        return rng.choice(
            [0, 1, -1, 127, 128, -129, 2**31 - 1, -(2**31), rng.randrange(-(10**9), 10**9)]
        )
    limit = UNSIGNED_LIMITS.get(tag)
    if limit is not None:
        return rng.choice([0, 1, 127, 128, 255, 2**31, limit, rng.randrange(limit)])
    if tag == ValueType.OBJECT_IDENTIFIER:
        return _oid(rng)
    if tag == ValueType.IP_ADDRESS:
        return bytes(rng.randrange(256) for _ in range(4))
    if tag == ValueType.NSAP_ADDRESS:  # tshark shows it as a number: at most 8 bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
    if tag in (ValueType.OCTET_STRING, ValueType.OPAQUE):
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24)))
    return None


ORACLE_VALUE_TYPES = list(ValueType)


def _varbinds(rng: random.Random) -> tuple[VarBind, ...]:
    out = []
    for _ in range(rng.randrange(0, 5)):
        tag = rng.choice(ORACLE_VALUE_TYPES)
        out.append(VarBind(_oid(rng), tag, _value(rng, tag)))
    return tuple(out)


def _pdu(rng: random.Random, tag: int) -> AnyPdu:
    request_id = rng.randrange(-(2**31), 2**31)
    if tag == PduType.GET_BULK_REQUEST:
        return BulkPdu(request_id, rng.randrange(5), rng.randrange(50), _varbinds(rng))
    if tag == PduType.TRAP:
        address = bytes(rng.randrange(256) for _ in range(4))
        return TrapPdu(
            _oid(rng),
            address,
            rng.randrange(7),
            rng.randrange(100),
            rng.randrange(2**32),
            _varbinds(rng),
        )
    return Pdu(tag, request_id, rng.randrange(19), rng.randrange(10), _varbinds(rng))


def sample_messages(seed: int = 3, count: int = 120) -> list[Message]:
    """A fixed set of messages: every PDU type in v1 and v2c, v3 plaintext and encrypted."""
    rng = random.Random(seed)
    out: list[Message] = []
    for index in range(count):
        tag = list(PduType)[index % len(PduType)]
        community = rng.choice([b"public", b"private", b"s3cr3t", b""])
        kind = index % 4
        if kind < 2:
            version = 0 if tag == PduType.TRAP else kind
            out.append(CommunityMessage(version, community, _pdu(rng, tag)))
            continue
        usm = UsmSecurityParameters(
            bytes.fromhex("80001f8880") + bytes(rng.randrange(256) for _ in range(8)),
            rng.randrange(100),
            rng.randrange(10**6),
            rng.choice([b"admin", b"operator", b""]),
            bytes(rng.randrange(256) for _ in range(12)) if rng.random() < 0.5 else b"",
            bytes(rng.randrange(256) for _ in range(8)) if kind == 3 else b"",
        )
        if kind == 3:
            data: ScopedPdu | bytes = bytes(rng.randrange(256) for _ in range(rng.randrange(8, 60)))
            flags = b"\x07"
        else:
            pdu = _pdu(rng, tag if tag != PduType.TRAP else PduType.SNMPV2_TRAP)
            data = ScopedPdu(usm.engine_id, rng.choice([b"", b"ctx"]), pdu)
            flags = rng.choice([b"\x00", b"\x01", b"\x04", b"\x05"])
        out.append(
            V3Message(rng.randrange(2**31), 65507, flags, 3, codec.encode_usm(usm), usm, data)
        )
    return out
