"""The IEC 104 sensor on conversations built with otm's own frame builders."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iec104_support import observe

from otm.capture.frames import TcpSession
from otm.observations.records import Communication, Identity, Operation, ParseAnomaly
from otm.protocols.iec104 import (
    Asdu,
    IFrame,
    InformationObject,
    SFrame,
    UFrame,
    UFunction,
    encode_apdu,
)
from otm.protocols.iec104 import messages as m
from otm.sensing.iec104 import Iec104Sensor

PROTOCOL = "iec104"


def _i(send: int, type_id: int, cause: int, address: int, element: m.Element, **kw: Any) -> bytes:
    asdu = Asdu(
        type_id, False, 1, cause, kw.get("negative", False), False, 0, address,
        (InformationObject(kw.get("ioa", 1), element),),
    )  # fmt: skip
    return encode_apdu(IFrame(send, 0, asdu))


def _frames(
    payloads: list[tuple[bool, bytes]], handshake: bool = True
) -> list[tuple[int, float, int, bytes]]:
    s = TcpSession("10.0.0.1", 50000, "10.0.0.2", 2404)
    frames = s.handshake() if handshake else []
    for from_client, payload in payloads:
        frames += s.send(payload, from_client=from_client)
    frames += s.close()
    return [(i + 1, 1000.0 + i, 1, f) for i, f in enumerate(frames)]


def _conversation() -> list[tuple[bool, bytes]]:
    return [
        (True, encode_apdu(UFrame(UFunction.STARTDT_ACT))),
        (False, encode_apdu(UFrame(UFunction.STARTDT_CON))),
        (True, _i(0, 100, 6, 0xFFFF, m.Interrogation(20), ioa=0)),
        (False, _i(0, 100, 7, 5, m.Interrogation(20), ioa=0)),
        (False, _i(1, 1, 20, 5, m.SinglePoint(1))),
        (False, _i(2, 100, 10, 5, m.Interrogation(20), ioa=0)),
        (True, encode_apdu(SFrame(3))),
        (True, _i(1, 45, 6, 5, m.SingleCommand(0x81), ioa=4500)),
        (False, _i(3, 45, 7, 5, m.SingleCommand(0x81), ioa=4500, negative=True)),
        (True, _i(2, 45, 6, 9, m.SingleCommand(0x01), ioa=4500)),
        (False, _i(4, 45, 46, 9, m.SingleCommand(0x01), ioa=4500)),
        (True, _i(3, 50, 6, 5, m.ShortFloat.of(1.5, 0), ioa=5020)),
        (False, _i(5, 58, 6, 5, m.SingleCommand(1, m.Cp56Time(0, 0, 0, 1, 1, 24)))),
        (False, encode_apdu(UFrame(UFunction.TESTFR_ACT))),
        (True, encode_apdu(UFrame(UFunction.TESTFR_CON))),
        (False, _i(9, 13, 3, 5, m.ShortFloat.of(2.0, 0))),  # N(S) jumps from 6 to 9
    ]


def _ops(observations: list[Any]) -> dict[tuple[str, str, tuple[tuple[str, Any], ...]], int]:
    return {
        (o.name, o.category, tuple(sorted(o.detail.items()))): o.count
        for o in observations
        if isinstance(o, Operation)
    }


def test_a_conversation_counts_requests_exceptions_and_session_frames() -> None:
    obs = observe(_frames(_conversation()), [Iec104Sensor()])
    ca5, ca9 = (("common_address", 5),), (("common_address", 9),)
    assert _ops(obs) == {
        ("startdt_act", "session", ()): 1,
        ("interrogation", "read", (("common_address", 0xFFFF),)): 1,
        ("single_command", "control", ca5): 1,
        ("single_command", "control", ca9): 1,
        ("set_point_float", "write", ca5): 1,
        ("negative_confirmation", "exception", (*ca5, ("type", "C_SC_NA_1"))): 1,
        ("unknown_common_address", "exception", (*ca9, ("type", "C_SC_NA_1"))): 1,
        ("single_command_time_tagged", "control", (*ca5, ("sent_by", "server"))): 1,
        ("testfr_act", "session", (("sent_by", "server"),)): 1,
    }
    links = [o for o in obs if isinstance(o, Communication)]
    assert [(c.protocol, c.client_ip, c.server_ip, c.port) for c in links] == [
        (PROTOCOL, "10.0.0.1", "10.0.0.2", 2404)
    ]
    idents = [o for o in obs if isinstance(o, Identity)]
    # 65535 is the broadcast address and 9 was answered "unknown": only 5 is the station's.
    assert [(i.ip, i.fields) for i in idents] == [("10.0.0.2", {"iec104_common_address": 5})]
    anomalies = [(a.kind, a.ip, a.detail) for a in obs if isinstance(a, ParseAnomaly)]
    assert anomalies == [("sequence_error", "10.0.0.2", "N(S) 9, expected 6")]


def test_without_the_handshake_port_2404_is_the_server() -> None:
    obs = observe(_frames(_conversation()[2:5], handshake=False), [Iec104Sensor()])
    links = [o for o in obs if isinstance(o, Communication)]
    assert [(c.client_ip, c.server_ip) for c in links] == [("10.0.0.1", "10.0.0.2")]
    assert ("interrogation", "read", (("common_address", 0xFFFF),)) in _ops(obs)


def test_bytes_that_are_not_iec104_on_port_2404_make_no_link() -> None:
    obs = observe(
        _frames([(True, b"GET / HTTP/1.0\r\n\r\n"), (False, b"\x68\x02")]), [Iec104Sensor()]
    )
    assert not [o for o in obs if isinstance(o, Communication)]
    kinds = sorted(a.kind for a in obs if isinstance(a, ParseAnomaly))
    assert kinds == ["unframed_bytes", "unframed_bytes"]


def test_a_malformed_apdu_is_an_anomaly_and_not_counted() -> None:
    bad_u = b"\x68\x04\x0f\x00\x00\x00"  # two U functions at once
    good = _i(0, 100, 6, 1, m.Interrogation(20), ioa=0)
    obs = observe(_frames([(True, bad_u), (True, good)]), [Iec104Sensor()])
    assert [a.kind for a in obs if isinstance(a, ParseAnomaly)] == ["bad_control_field"]
    assert _ops(obs) == {("interrogation", "read", (("common_address", 1),)): 1}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(min_size=1, max_size=120)), max_size=6))
def test_arbitrary_payloads_on_port_2404_never_raise(payloads: list[tuple[bool, bytes]]) -> None:
    obs = observe(_frames(payloads), [Iec104Sensor()])
    assert all(o.protocol == PROTOCOL for o in obs if isinstance(o, ParseAnomaly))
