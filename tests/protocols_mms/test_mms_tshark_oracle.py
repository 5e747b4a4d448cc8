"""The codec against tshark, the oracle, frame by frame on every shared capture with MMS.

tshark dissects each capture to JSON (``-T json --no-duplicate-keys`` over the
cotp, ses, pres, acse and mms layers).  Our side walks the same capture with
otm's capture layer, decodes every TPKT (COTP) and every TSDU (session,
presentation, ACSE, MMS) and derives, from our messages alone, the values
tshark shows, in tshark's representation and order.  Per frame and per
field the two lists must be equal.  Compared fields: COTP type, EOT, TPDU
number, references, class, TPDU size and TSAPs; session SPDU types,
selectors, version, requirements, protocol options; presentation mode,
selectors, protocol version, requirements, context identifiers, abstract and
transfer syntaxes, results; ACSE context name, AP titles, AE qualifiers,
result and diagnostic, EXTERNAL references and encoding; MMS PDU kinds,
invoke ids, services, initiate parameters (detail, max outstanding, nesting,
version, parameter CBB, services supported), identify strings, get name list
class, scope, domain, continue-after, identifiers, more-follows, and the
domain/item/vmd names of named requests and information reports.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from functools import cache
from typing import Any

import pytest
from mms_captures import MMS_CAPTURES, capture_tpkts, capture_tsdus

from conftest import PCAPS
from otm.protocols.common import Anomaly
from otm.protocols.mms import (
    AcceptPresentation,
    AssociationRequest,
    AssociationResponse,
    BitString,
    ConfirmedRequest,
    ConfirmedResponse,
    ConnectPresentation,
    CotpConnect,
    CotpData,
    InitiateRequest,
    InitiateResponse,
    MmsPdu,
    ObjectName,
    OsiMessage,
    Unconfirmed,
    UserData,
    decode_tpkt,
    decode_tsdu,
    get_name_list_request,
    get_name_list_response,
    identify_response,
    object_names,
    pdu_type,
)
from otm.protocols.mms.services import NAMED_REQUESTS

pytestmark = pytest.mark.tshark

PDU_KEYS = {
    0: "mms.confirmed_RequestPDU_element",
    1: "mms.confirmed_ResponsePDU_element",
    2: "mms.confirmed_ErrorPDU_element",
    3: "mms.unconfirmed_PDU_element",
    4: "mms.rejectPDU_element",
    5: "mms.cancel_RequestPDU",
    6: "mms.cancel_ResponsePDU",
    7: "mms.cancel_ErrorPDU_element",
    8: "mms.initiate_RequestPDU_element",
    9: "mms.initiate_ResponsePDU_element",
    10: "mms.initiate_ErrorPDU_element",
    11: "mms.conclude_RequestPDU_element",
    12: "mms.conclude_ResponsePDU_element",
    13: "mms.conclude_ErrorPDU_element",
}
"""MMS PDU kind -> the JSON key tshark gives its element."""

COMPARED = (
    "cotp.type",
    "cotp.eot",
    "cotp.tpdu-number",
    "cotp.srcref",
    "cotp.destref",
    "cotp.class",
    "cotp.tpdu_size",
    "cotp.src-tsap-bytes",
    "cotp.dst-tsap-bytes",
    "ses.type",
    "ses.calling_session_selector",
    "ses.called_session_selector",
    "ses.version.flags",
    "ses.req.flags",
    "ses.connect.flags",
    "pres.mode_value",
    "pres.protocol_version",
    "pres.calling_presentation_selector",
    "pres.called_presentation_selector",
    "pres.responding_presentation_selector",
    "pres.presentation_requirements",
    "pres.presentation_context_identifier",
    "pres.abstract_syntax_name",
    "pres.Transfer_syntax_name",
    "pres.transfer_syntax_name",
    "pres.result",
    "acse.aSO_context_name",
    "acse.protocol_version",
    "acse.ap_title_form2",
    "acse.aso_qualifier_form2",
    "acse.result",
    "acse.service_user",
    "acse.service_provider",
    "acse.direct_reference",
    "acse.indirect_reference",
    "acse.encoding",
    "mms.pdu",
    "mms.invokeID",
    "mms.confirmedServiceRequest",
    "mms.confirmedServiceResponse",
    "mms.unconfirmedService",
    "mms.localDetailCalling",
    "mms.proposedMaxServOutstandingCalling",
    "mms.proposedMaxServOutstandingCalled",
    "mms.proposedDataStructureNestingLevel",
    "mms.proposedVersionNumber",
    "mms.proposedParameterCBB",
    "mms.servicesSupportedCalling",
    "mms.localDetailCalled",
    "mms.negociatedMaxServOutstandingCalling",
    "mms.negociatedMaxServOutstandingCalled",
    "mms.negociatedDataStructureNestingLevel",
    "mms.negociatedVersionNumber",
    "mms.negociatedParameterCBB",
    "mms.servicesSupportedCalled",
    "mms.vendorName",
    "mms.modelName",
    "mms.revision",
    "mms.objectClass",
    "mms.objectScope",
    "mms.domainSpecific",
    "mms.getNameList-Request_continueAfter",
    "mms.Identifier",
    "mms.moreFollows",
    "mms.domainId",
    "mms.itemId",
    "mms.vmd_specific",
    "mms.aa_specific",
)
"""Wireshark field names compared frame by frame."""

NAME_FIELDS = ("mms.domainId", "mms.itemId", "mms.vmd_specific", "mms.aa_specific")
"""Object-name fields: compared only inside the PDUs whose names otm decodes
(named requests, information reports); tshark also shows them in responses."""

SKIPPED_FIELDS: dict[str, str] = {}
"""Compared field -> why it is not compared (none: every field agrees)."""


# --- tshark's side -------------------------------------------------------------------------


def _values(node: Any, key: str, out: list[str]) -> list[str]:
    """Every value of ``key`` in a tshark JSON subtree, in document order."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                if isinstance(v, list):
                    out.extend(x for x in v if isinstance(x, str))
                elif isinstance(v, str):
                    out.append(v)
            _values(v, key, out)
    elif isinstance(node, list):
        for item in node:
            _values(item, key, out)
    return out


def _as_list(node: Any) -> list[Any]:
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


def _pdu_elements(mms_layer: Any) -> list[tuple[str, Any]]:
    """(tshark PDU key, subtree) of every MMS PDU of a frame, in order."""
    out = []
    for layer in _as_list(mms_layer):
        for key, value in layer.items():
            if key in PDU_KEYS.values():
                for v in _as_list(value):
                    out.append((key, v))
    return out


def _names_subtree(key: str, tree: Any) -> bool:
    """Does otm decode the object names of this PDU?"""
    if key == PDU_KEYS[3]:
        return True
    if key != PDU_KEYS[0] or not isinstance(tree, dict):
        return False
    service = tree.get("mms.confirmedServiceRequest")
    return service is not None and int(service) in NAMED_REQUESTS


@cache
def tshark_frames(capture: str) -> dict[int, dict[str, list[str]]]:
    """frame -> field -> values, from tshark."""
    cmd = [
        "tshark",
        "-n",
        "-r",
        str(PCAPS / capture),
        "-Y",
        "cotp",
        "-T",
        "json",
        "--no-duplicate-keys",
        "-J",
        "frame cotp ses pres acse mms",
    ]
    packets = json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)
    frames: dict[int, dict[str, list[str]]] = {}
    for packet in packets:
        layers = packet["_source"]["layers"]
        frame = int(layers["frame"]["frame.number"])
        fields: dict[str, list[str]] = {}
        for name in COMPARED:
            layer = layers.get(name.split(".")[0])
            if name in NAME_FIELDS or name == "mms.pdu" or layer is None:
                continue
            if name == "cotp.destref":
                # a class 0 DT has no reference; tshark numbers the DTs of a frame there
                layer = [t for t in _as_list(layer) if "cotp.srcref" in t]
            fields[name] = _values(layer, name, [])
        elements = _pdu_elements(layers.get("mms"))
        fields["mms.pdu"] = [key for key, _ in elements]
        for name in NAME_FIELDS:
            fields[name] = []
            for key, tree in elements:
                if _names_subtree(key, tree):
                    _values(tree, name, fields[name])
        frames[frame] = {k: v for k, v in fields.items() if v}
    return frames


# --- our side ------------------------------------------------------------------------------


def _colon(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def _bits(value: BitString | None) -> list[str]:
    return [] if value is None else [value.data.hex()]


def _cotp(data: bytes, out: dict[str, list[str]]) -> None:
    cotp = decode_tpkt(data)
    assert not isinstance(cotp, Anomaly), cotp
    if isinstance(cotp, CotpData):
        out["cotp.type"].append("0x0f")
        out["cotp.tpdu-number"].append(f"0x{cotp.tpdu_number:02x}")
        out["cotp.eot"].append("1" if cotp.eot else "0")
    elif isinstance(cotp, CotpConnect):
        out["cotp.type"].append(f"0x{cotp.code >> 4:02x}")
        out["cotp.destref"].append(f"0x{cotp.dst_ref:04x}")
        out["cotp.srcref"].append(f"0x{cotp.src_ref:04x}")
        out["cotp.class"].append(str(cotp.class_option >> 4))
        if cotp.tpdu_size is not None:
            out["cotp.tpdu_size"].append(str(cotp.tpdu_size))
        if cotp.calling_tsap is not None:
            out["cotp.src-tsap-bytes"].append(_colon(cotp.calling_tsap))
        if cotp.called_tsap is not None:
            out["cotp.dst-tsap-bytes"].append(_colon(cotp.called_tsap))


def _session(msg: OsiMessage, out: dict[str, list[str]]) -> None:
    s = msg.session
    out["ses.type"] += [str(spdu.si) for spdu in s.spdus]
    for code, name in ((51, "ses.calling_session_selector"), (52, "ses.called_session_selector")):
        value = s.main.parameter(code)
        if value is not None:
            out[name].append(_colon(value))
    for code, name, width in (
        (22, "ses.version.flags", 2),
        (20, "ses.req.flags", 4),
        (19, "ses.connect.flags", 2),
    ):
        value = s.main.parameter(code)
        if value is not None:
            out[name].append(f"0x{int.from_bytes(value, 'big'):0{width}x}")


def _user_data(user_data: UserData | None, out: dict[str, list[str]]) -> None:
    if user_data is None:
        return
    for value in user_data.values:
        out["pres.presentation_context_identifier"].append(str(value.context_id))


def _presentation(msg: OsiMessage, out: dict[str, list[str]]) -> None:
    p = msg.presentation
    if isinstance(p, ConnectPresentation | AcceptPresentation):
        out["pres.mode_value"].append(str(p.mode))
        out["pres.protocol_version"] += _bits(p.protocol_version)
        if isinstance(p, ConnectPresentation):
            for selector, name in (
                (p.calling_selector, "pres.calling_presentation_selector"),
                (p.called_selector, "pres.called_presentation_selector"),
            ):
                if selector is not None:
                    out[name].append(_colon(selector))
            for c in p.contexts:
                out["pres.presentation_context_identifier"].append(str(c.identifier))
                out["pres.abstract_syntax_name"].append(c.abstract_syntax)
                out["pres.Transfer_syntax_name"] += list(c.transfer_syntaxes)
        else:
            if p.responding_selector is not None:
                out["pres.responding_presentation_selector"].append(_colon(p.responding_selector))
            for r in p.results:
                out["pres.result"].append(str(r.result))
                if r.transfer_syntax is not None:
                    out["pres.transfer_syntax_name"].append(r.transfer_syntax)
        out["pres.presentation_requirements"] += _bits(p.requirements)
        _user_data(p.user_data, out)
    elif isinstance(p, UserData):
        _user_data(p, out)


def _acse(msg: OsiMessage, out: dict[str, list[str]]) -> None:
    a = msg.acse
    if isinstance(a, AssociationRequest):
        out["acse.protocol_version"] += _bits(a.protocol_version)
        if a.context_name:
            out["acse.aSO_context_name"].append(a.context_name)
        for title, qualifier in (
            (a.called_ap_title, a.called_ae_qualifier),
            (a.calling_ap_title, a.calling_ae_qualifier),
        ):
            if title is not None:
                out["acse.ap_title_form2"].append(title)
            if qualifier is not None:
                out["acse.aso_qualifier_form2"].append(str(qualifier))
    elif isinstance(a, AssociationResponse):
        out["acse.protocol_version"] += _bits(a.protocol_version)
        if a.context_name:
            out["acse.aSO_context_name"].append(a.context_name)
        if a.result is not None:
            out["acse.result"].append(str(a.result))
        if a.diagnostic is not None:
            name = "acse.service_user" if a.diagnostic_source == 1 else "acse.service_provider"
            out[name].append(str(a.diagnostic))
        if a.responding_ap_title is not None:
            out["acse.ap_title_form2"].append(a.responding_ap_title)
        if a.responding_ae_qualifier is not None:
            out["acse.aso_qualifier_form2"].append(str(a.responding_ae_qualifier))
    if a is not None:
        for x in a.user_information:
            if x.direct_reference is not None:
                out["acse.direct_reference"].append(x.direct_reference)
            if x.indirect_reference is not None:
                out["acse.indirect_reference"].append(str(x.indirect_reference))
            out["acse.encoding"].append(str(x.encoding))


def _names(names: tuple[ObjectName, ...] | Anomaly, out: dict[str, list[str]]) -> None:
    assert not isinstance(names, Anomaly), names
    for n in names:
        if n.scope == 1:
            out["mms.domainId"].append(n.domain or "")
            out["mms.itemId"].append(n.item)
        else:
            out["mms.vmd_specific" if n.scope == 0 else "mms.aa_specific"].append(n.item)


def _initiate(pdu: InitiateRequest | InitiateResponse, out: dict[str, list[str]]) -> None:
    request = isinstance(pdu, InitiateRequest)
    prefix = "proposed" if request else "negociated"
    if pdu.local_detail is not None:
        out["mms.localDetailCalling" if request else "mms.localDetailCalled"].append(
            str(pdu.local_detail)
        )
    out[f"mms.{prefix}MaxServOutstandingCalling"].append(str(pdu.max_serv_outstanding_calling))
    out[f"mms.{prefix}MaxServOutstandingCalled"].append(str(pdu.max_serv_outstanding_called))
    if pdu.nesting_level is not None:
        out[f"mms.{prefix}DataStructureNestingLevel"].append(str(pdu.nesting_level))
    if pdu.version is not None:
        out[f"mms.{prefix}VersionNumber"].append(str(pdu.version))
    if pdu.parameter_cbb is not None:
        out[f"mms.{prefix}ParameterCBB"].append(_colon(pdu.parameter_cbb.data))
    if pdu.services_supported is not None:
        name = "mms.servicesSupportedCalling" if request else "mms.servicesSupportedCalled"
        out[name].append(_colon(pdu.services_supported.data))


def _mms(pdu: MmsPdu, out: dict[str, list[str]]) -> None:
    out["mms.pdu"].append(PDU_KEYS[pdu_type(pdu)])
    if isinstance(pdu, ConfirmedRequest):
        out["mms.invokeID"].append(str(pdu.invoke_id))
        out["mms.confirmedServiceRequest"].append(str(pdu.service))
        if pdu.service == 1:
            request = get_name_list_request(pdu.body)
            assert not isinstance(request, Anomaly), request
            out["mms.objectClass"].append(str(request.object_class))
            out["mms.objectScope"].append(str(request.scope))
            if request.domain is not None:
                out["mms.domainSpecific"].append(request.domain)
            if request.continue_after is not None:
                out["mms.getNameList-Request_continueAfter"].append(request.continue_after)
        _names(object_names(pdu.service, pdu.body), out)
    elif isinstance(pdu, ConfirmedResponse):
        out["mms.invokeID"].append(str(pdu.invoke_id))
        out["mms.confirmedServiceResponse"].append(str(pdu.service))
        if pdu.service == 1:
            response = get_name_list_response(pdu.body)
            assert not isinstance(response, Anomaly), response
            out["mms.Identifier"] += list(response.identifiers)
            out["mms.moreFollows"].append("1" if response.more_follows else "0")
        elif pdu.service == 2:
            identity = identify_response(pdu.body)
            assert not isinstance(identity, Anomaly), identity
            out["mms.vendorName"].append(identity.vendor)
            out["mms.modelName"].append(identity.model)
            out["mms.revision"].append(identity.revision)
    elif isinstance(pdu, Unconfirmed):
        out["mms.unconfirmedService"].append(str(pdu.service))
        _names(object_names(pdu.service, pdu.body, unconfirmed=True), out)
    elif isinstance(pdu, InitiateRequest | InitiateResponse):
        _initiate(pdu, out)


@cache
def our_frames(capture: str) -> dict[int, dict[str, list[str]]]:
    """frame -> field -> values, from otm's decoders."""
    frames: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for unit in capture_tpkts(capture):
        _cotp(unit.data, frames[unit.frame])
    for unit in capture_tsdus(capture):
        msg = decode_tsdu(unit.data)
        assert not isinstance(msg, Anomaly), (unit.frame, msg)
        out = frames[unit.frame]
        _session(msg, out)
        _presentation(msg, out)
        _acse(msg, out)
        for pdu in msg.mms:
            _mms(pdu, out)
    return {f: {k: v for k, v in fields.items() if v} for f, fields in frames.items()}


# --- the comparison ---------------------------------------------------------------------------


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_every_field_matches_tshark(capture: str) -> None:
    theirs = tshark_frames(capture)
    ours = our_frames(capture)
    assert set(ours) == set(theirs), sorted(set(ours) ^ set(theirs))[:20]
    mismatches = []
    compared = 0
    for frame in sorted(theirs):
        for name in COMPARED:
            if name in SKIPPED_FIELDS:
                continue
            expected = theirs[frame].get(name, [])
            got = ours[frame].get(name, [])
            compared += len(expected)
            if expected != got:
                mismatches.append(f"frame {frame} {name}: tshark {expected[:6]} otm {got[:6]}")
    assert not mismatches, "\n".join(mismatches[:30])
    assert compared > 1000


def test_every_mms_capture_is_compared() -> None:
    assert set(MMS_CAPTURES) == {
        "8d7c7db0-9804-012b-b2a6-0016cb8cea27.pcap",
        "mmsy.pcap",
        "simens.pcap",
    }


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_service_counts_match_the_ground_truth(capture: str) -> None:
    gt = json.loads((PCAPS / "groundtruth" / f"{capture}.json").read_text())
    expected = gt["protocol_details"]["mms"]["confirmed_service_requests"]
    counts: dict[str, int] = defaultdict(int)
    for unit in capture_tsdus(capture):
        msg = decode_tsdu(unit.data)
        assert not isinstance(msg, Anomaly)
        for pdu in msg.mms:
            if isinstance(pdu, ConfirmedRequest):
                counts[str(pdu.service)] += 1
    assert dict(counts) == expected
