"""The MMS handler inside the port 102 sensor, on written connections.

Each test drives an ``S7Stream`` (the one handler the walker gives port 102)
with TPKTs built by the codec's encoders and checks the observations the
tally holds afterwards.
"""

from __future__ import annotations

import mms_strategies as strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.capture.interfaces import FlowKey
from otm.observations.records import Communication, Identity, Observation, Operation, ParseAnomaly
from otm.protocols.mms import (
    ConcludeRequest,
    ConfirmedError,
    ConfirmedRequest,
    CotpData,
    GetNameListRequest,
    GetNameListResponse,
    IdentifyResponse,
    InitiateRequest,
    InitiateResponse,
    ObjectClass,
    Reject,
    ServiceError,
    accept_tsdu,
    connect_tsdu,
    data_tsdu,
    encode_tpkt,
    get_name_list,
    get_name_list_response_message,
    identify_request,
    identify_response_message,
    information_report,
)
from otm.protocols.mms.messages import ObjectName
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.s7comm import S7Stream

KEY = FlowKey(
    "tcp", "10.0.0.1", 50000, "10.0.0.2", 102, "02:00:00:00:00:01", "02:00:00:00:00:02", None
)


def _dts(tsdu: bytes, size: int = 0) -> list[bytes]:
    """The TPKTs of a TSDU, split into DTs of ``size`` bytes when given."""
    if not size:
        return [encode_tpkt(CotpData(True, 0, tsdu))]
    parts = [tsdu[i : i + size] for i in range(0, len(tsdu), size)]
    return [encode_tpkt(CotpData(i == len(parts) - 1, 0, p)) for i, p in enumerate(parts)]


def _run(
    exchange: list[tuple[bool, bytes]], split: int = 0
) -> tuple[list[Observation], FlowLabels]:
    tally = Tally("written", "capture")
    labels = FlowLabels()
    stream = S7Stream(KEY, tally, labels)
    frame = 0
    for from_client, tsdu in exchange:
        for tpkt in _dts(tsdu, split):
            frame += 1
            stream.on_pdu(tpkt, from_client, frame, float(frame))
    protocol = labels.protocol.get(KEY)
    stream.on_close(float(frame + 1))
    observations = tally.flush()
    labels.protocol.setdefault(KEY, protocol or "")
    return observations, labels


def _ops(observations: list[Observation]) -> dict[tuple[str, str, int, str], int]:
    return {
        (o.client_ip or "", o.name, o.port, o.category): o.count
        for o in observations
        if isinstance(o, Operation)
    }


def _identities(observations: list[Observation]) -> dict[str, dict[str, str | int]]:
    out: dict[str, dict[str, str | int]] = {}
    for o in observations:
        if isinstance(o, Identity):
            out.setdefault(o.ip or "", {}).update(o.fields)
    return out


SETUP = [
    (True, connect_tsdu(InitiateRequest(10, 10, 65000, 5, 1))),
    (False, accept_tsdu(InitiateResponse(10, 10, 65000, 5, 1))),
]


def test_an_association_is_labelled_mms_with_ap_titles_and_initiate() -> None:
    observations, labels = _run(SETUP)
    assert labels.protocol[KEY] == "mms"
    assert _ops(observations) == {("10.0.0.1", "initiate", 102, "session"): 1}
    ids = _identities(observations)
    assert ids["10.0.0.1"] == {"mms_ap_title": "1.1.1", "mms_ae_qualifier": 1}
    assert ids["10.0.0.2"] == {"mms_ap_title": "1.1.2", "mms_ae_qualifier": 2}


def test_identify_response_teaches_vendor_model_firmware_of_the_responder() -> None:
    identity = IdentifyResponse("ACME", "IED-9", "1.2.3")
    observations, _ = _run(
        [
            *SETUP,
            (True, data_tsdu(identify_request(1))),
            (False, data_tsdu(identify_response_message(1, identity))),
        ]
    )
    assert (
        _identities(observations)["10.0.0.2"].items()
        >= {
            "vendor": "ACME",
            "model": "IED-9",
            "firmware": "1.2.3",
        }.items()
    )
    assert _ops(observations)[("10.0.0.1", "identify", 102, "identify")] == 1


def test_logical_devices_over_a_name_list_that_continues() -> None:
    first = GetNameListRequest(ObjectClass.DOMAIN)
    more = GetNameListRequest(ObjectClass.DOMAIN, continue_after="LD1")
    observations, _ = _run(
        [
            *SETUP,
            (True, data_tsdu(get_name_list(1, first))),
            (False, data_tsdu(get_name_list_response_message(1, GetNameListResponse(("LD1",))))),
            (True, data_tsdu(get_name_list(2, more))),
            (
                False,
                data_tsdu(
                    get_name_list_response_message(2, GetNameListResponse(("LD0", "CTRL"), False))
                ),
            ),
        ],
        split=16,
    )
    ids = _identities(observations)
    assert ids["10.0.0.2"]["iec61850_logical_devices"] == "CTRL,LD0,LD1"


def test_names_of_other_classes_are_no_logical_devices() -> None:
    variables = GetNameListRequest(ObjectClass.NAMED_VARIABLE, 1, "LD0")
    observations, _ = _run(
        [
            *SETUP,
            (True, data_tsdu(get_name_list(1, variables))),
            (
                False,
                data_tsdu(get_name_list_response_message(1, GetNameListResponse(("X",), False))),
            ),
        ]
    )
    assert "iec61850_logical_devices" not in _identities(observations).get("10.0.0.2", {})


def test_requests_of_the_tcp_server_count_on_the_reversed_link() -> None:
    observations, _ = _run(
        [
            *SETUP,
            (False, data_tsdu(identify_request(7))),
            (True, data_tsdu(identify_response_message(7, IdentifyResponse("V", "M", "R")))),
        ]
    )
    assert _ops(observations)[("10.0.0.2", "identify", 50000, "identify")] == 1
    reverse = [o for o in observations if isinstance(o, Communication)]
    assert len(reverse) == 1
    assert (reverse[0].client_ip, reverse[0].server_ip, reverse[0].port) == (
        "10.0.0.2",
        "10.0.0.1",
        50000,
    )
    assert reverse[0].packets == 2
    assert _identities(observations)["10.0.0.1"]["vendor"] == "V"


def test_reports_errors_rejects_and_conclude_are_counted() -> None:
    name = ObjectName("RPT")
    observations, _ = _run(
        [
            *SETUP,
            (False, data_tsdu(information_report(name))),
            (False, data_tsdu(information_report(name))),
            (True, data_tsdu(ConfirmedRequest(3, 5, b"\xa0\x00\xa0\x00"))),
            (False, data_tsdu(ConfirmedError(3, ServiceError(7, 3)))),
            (False, data_tsdu(Reject(1, 2, 4))),
            (True, data_tsdu(ConcludeRequest())),
        ]
    )
    ops = _ops(observations)
    assert ops[("10.0.0.1", "information_report", 102, "read")] == 2
    assert ops[("10.0.0.1", "write", 102, "write")] == 1
    assert ops[("10.0.0.1", "error_access", 102, "exception")] == 1
    assert ops[("10.0.0.1", "reject_confirmed_request", 102, "exception")] == 1
    assert ops[("10.0.0.1", "conclude", 102, "session")] == 1


def test_broken_mms_is_an_anomaly_never_an_exception() -> None:
    broken = data_tsdu(identify_request(1))[:-1] + b"\x00\x00"
    observations, labels = _run([*SETUP, (True, broken), (True, b"\x01\x00\x01\x00\x61\x85")])
    kinds = sorted(o.kind for o in observations if isinstance(o, ParseAnomaly))
    assert kinds and all(o.protocol == "mms" for o in observations if isinstance(o, ParseAnomaly))
    assert labels.protocol[KEY] == "mms"


def test_an_iso_session_without_mms_is_not_labelled_mms() -> None:
    # a session connect whose user data is no presentation CP (another OSI application)
    cn = bytes((13, 5, 193, 3)) + b"abc"
    observations, labels = _run([(True, cn), (True, b"\x01\x00\x01\x00" + b"\x40\x01\x00")])
    assert labels.protocol[KEY] == ""
    assert not [o for o in observations if isinstance(o, Operation)]


def test_s7comm_and_mms_connections_on_port_102_keep_their_protocols() -> None:
    s7_setup = bytes.fromhex("0300001902f08032010000000000080000f0000001000101e0")
    tally = Tally("written", "capture")
    labels = FlowLabels()
    s7 = S7Stream(KEY, tally, labels)
    s7.on_pdu(s7_setup, True, 1, 1.0)
    # a DT starting with 0x01 on an S7comm connection is no MMS
    s7.on_pdu(encode_tpkt(CotpData(True, 0, b"\x01\x00\x01\x00")), True, 2, 2.0)
    assert labels.protocol[KEY] == "s7comm" and s7.mms is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.one_of(st.binary(max_size=80), strategies.mms_pdus().map(data_tsdu)),
            st.booleans(),
            st.integers(0, 40),
        ),
        max_size=10,
    )
)
def test_fuzz_the_handler_with_any_tsdus_and_splits(
    items: list[tuple[bool, bytes, bool, int]],
) -> None:
    tally = Tally("written", "capture")
    stream = S7Stream(KEY, tally, FlowLabels())
    for frame, (from_client, tsdu, eot, split) in enumerate([(True, SETUP[0][1], True, 0), *items]):
        rest = tsdu
        if split and len(tsdu) > split:
            stream.on_pdu(encode_tpkt(CotpData(False, 0, tsdu[:split])), from_client, frame, 1.0)
            rest = tsdu[split:]
        stream.on_pdu(encode_tpkt(CotpData(eot, 0, rest)), from_client, frame, 1.0)
        stream.on_checkpoint(1.0)
    stream.on_close(2.0)
    assert all(isinstance(o, Observation) for o in tally.flush())
