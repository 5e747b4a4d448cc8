"""MMS (ISO 9506, IEC 61850 / ICCP client-server traffic) on ISO-on-TCP -> observations.

Port 102 belongs to the S7 sensor (``otm.sensing.s7comm``); its stream hands
a connection to ``MmsStream`` when the first COTP data of the connection is
an ISO session SPDU instead of S7comm.  Per connection:

- COTP DTs are joined into TSDUs (``TsduReassembler``, one per direction);
- data transfer TSDUs are read with ``peek`` (session, presentation and MMS
  headers, no message objects: 2.5 us a TSDU over ``simens.pcap`` on the
  2-core test machine, where ``decode_tsdu`` takes 13 us); a TSDU is fully
  decoded when its shape (direction, PDU kind, service, length) is new on
  the flow, when it can teach identity (identify and get name list
  exchanges) or names an error class or reject reason, and for the
  association setup and release;
- the flow is confirmed as ``mms`` once a TSDU proves it (a presentation CP
  proposing the MMS abstract syntax, or an MMS PDU).

Roles follow MMS, not TCP: the sender of a confirmed or initiate request is
the client of that exchange, the sender of a response the server.  MMS is
peer to peer (an ICCP or gateway peer asks its TCP client too), so requests
sent by the TCP server count on the reversed link (client = the TCP server,
server port = the TCP client's port), and when counts are handed over a ``Communication`` of
the PDUs exchanged in that reversed role is added, answered once the TCP
client has sent a response in that role (the handshake proves the TCP
server, not that its peer serves anything).  Unconfirmed services
(information reports) and rejects count on the association's link.

Operations: confirmed services by name and category (``read``,
``write``, ``get_name_list`` ...), unconfirmed ones (``information_report``),
``initiate``, ``conclude``, ``cancel``, ``release``, ``abort`` (session), and
``error_<class>`` / ``reject_<pdu>`` (category ``exception``).

Identity, from what a device says about itself:

- Identify response: vendorName -> ``vendor``, modelName -> ``model``,
  revision -> ``firmware``;
- get name list of class domain, VMD scope (the IEC 61850 logical devices):
  ``iec61850_logical_devices``, the names sorted and comma-joined (capped);
- ACSE AP title and AE qualifier a side gives for itself (calling in the
  AARQ, responding in the AARE): ``mms_ap_title``, ``mms_ae_qualifier``.
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.observations.records import Communication, Transport
from otm.protocols.common import SESSION, Anomaly
from otm.protocols.mms.acse import Abort, AssociationRequest, AssociationResponse, ReleaseRequest
from otm.protocols.mms.constants import (
    EXCEPTION,
    REQUEST_PDUS,
    RESPONSE_PDUS,
    ObjectClass,
    ObjectScope,
    SpduType,
    error_class_name,
    reject_reason_name,
    service_category,
    service_name,
    unconfirmed_category,
    unconfirmed_name,
)
from otm.protocols.mms.messages import (
    CancelError,
    ConcludeError,
    ConfirmedError,
    ConfirmedRequest,
    ConfirmedResponse,
    InitiateError,
    MmsPdu,
    Reject,
    Unconfirmed,
    pdu_type,
)
from otm.protocols.mms.reassembly import TsduReassembler
from otm.protocols.mms.services import (
    GET_NAME_LIST,
    IDENTIFY,
    get_name_list_request,
    get_name_list_response,
    identify_response,
)
from otm.protocols.mms.stack import OsiMessage, decode_tsdu, peek
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "mms"

SESSION_FIRST_BYTES = frozenset((1, 2, 5, 8, 9, 10, 12, 13, 14, 25, 26, 33))
"""First bytes of a COTP data payload that start an ISO session SPDU (GT/DT,
PT, EX, NF, FN, DN, RF, CN, AC, AB, AA, TD): none is 0x32 (S7comm) or 0x72
(S7comm-plus), so the S7 sensor can tell them apart by one byte."""

MAX_SHAPES = 512
"""Distinct TSDU shapes validated per flow; an IEC 61850 client polls and
receives reports in a few dozen."""

MAX_PENDING = 64
"""Outstanding domain name list requests remembered per flow: MMS limits the
requests outstanding to a negotiated ``maxServOutstanding`` (10-20 in the
shared captures)."""

MAX_DEVICES = 256
"""Logical device names kept per server; an IED has a handful."""

MAX_DEVICE_TEXT = 512
"""Characters of the ``iec61850_logical_devices`` field."""

# Operation kinds in the per-flow counting key.
_REQUEST = 0
_UNCONFIRMED = 1
_ERROR = 2
_REJECT = 3
_SESSION = 4

_SESSION_OPS = ("initiate", "conclude", "cancel", "release", "abort")
_INITIATE, _CONCLUDE, _CANCEL, _RELEASE, _ABORT = range(5)

_DECODED_KINDS = frozenset((2, 4, 7, 10, 13))
"""Confirmed, cancel, initiate and conclude errors and rejects: always decoded,
for their error class or reject reason (they are rare)."""


class MmsStream:
    """The MMS side of one ISO-on-TCP connection (made by the S7 sensor's stream)."""

    __slots__ = (
        "devices",
        "emitted",
        "key",
        "labels",
        "ops",
        "pending",
        "reassembly",
        "reverse",
        "reverse_answered",
        "shapes",
        "tally",
        "valid",
    )

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.reassembly = (TsduReassembler(), TsduReassembler())
        self.ops: dict[tuple[bool, int, int], list[float]] = {}
        self.shapes: set[tuple[bool, int, int, int]] = set()
        self.pending: dict[tuple[bool, int], None] = {}
        self.devices: dict[bool, set[str]] = {}
        self.emitted: dict[bool, str] = {}
        self.reverse: list[float] = []
        self.reverse_answered = False  # over the connection, not per checkpoint
        self.valid = False

    # -- bytes in ---------------------------------------------------------------------

    def on_tpkt(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole TPKT of the connection (the S7 stream peeked it already)."""
        if len(pdu) < 7 or pdu[4] != 2 or pdu[5] != 0xF0:
            return  # CR, CC, DR ...: nothing MMS says there
        tsdu = self.reassembly[from_client].push(pdu[7:], bool(pdu[6] & 0x80))
        if tsdu is None:
            return
        if isinstance(tsdu, Anomaly):
            self._anomaly(tsdu.kind.value, from_client, frame, ts, tsdu.detail)
            return
        self._tsdu(tsdu, from_client, frame, ts)

    def _tsdu(self, tsdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        peeked = peek(tsdu)
        if peeked is None or peeked[1] < 0:
            decoded = decode_tsdu(tsdu)
            if isinstance(decoded, Anomaly):
                self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
                return
            self._message(decoded, from_client, frame, ts, len(tsdu))
            return
        _, kind, service, _ = peeked
        shape = (from_client, kind, service, len(tsdu))
        learn = (
            kind in _DECODED_KINDS
            or (kind == 0 and service == GET_NAME_LIST)
            or (kind == 1 and service in (GET_NAME_LIST, IDENTIFY))
        )
        if shape in self.shapes and not learn:
            # the common case: a data PDU of a known shape
            if not self.valid:
                self._confirm()
            self._count(kind, service, from_client, frame, ts, len(tsdu))
            return
        decoded = decode_tsdu(tsdu)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
            return
        if len(self.shapes) < MAX_SHAPES:
            self.shapes.add(shape)
        self._message(decoded, from_client, frame, ts, len(tsdu))

    def _message(
        self, msg: OsiMessage, from_client: bool, frame: int, ts: float, size: int
    ) -> None:
        """A decoded TSDU: association setup, release and abort, or data that is
        new in shape or can teach something."""
        if msg.is_mms and not self.valid:
            self._confirm()
        si = msg.session.main.si
        acse = msg.acse
        if not self.valid:
            pass  # another OSI application: its titles are no MMS facts
        elif isinstance(acse, AssociationRequest):
            self._ap_title(acse.calling_ap_title, acse.calling_ae_qualifier, from_client, frame, ts)
        elif isinstance(acse, AssociationResponse):
            self._ap_title(
                acse.responding_ap_title, acse.responding_ae_qualifier, from_client, frame, ts
            )
        if self.valid and (si == SpduType.FINISH or isinstance(acse, ReleaseRequest)):
            self._op(not from_client, _SESSION, _RELEASE, frame, ts)
        elif self.valid and (si == SpduType.ABORT or isinstance(acse, Abort)):
            self._op(False, _SESSION, _ABORT, frame, ts)
        for pdu in msg.mms:
            kind = pdu_type(pdu)
            service = (
                pdu.service
                if isinstance(pdu, ConfirmedRequest | ConfirmedResponse | Unconfirmed)
                else -1
            )
            self._count(kind, service, from_client, frame, ts, size)
            self._count_error(pdu, from_client, frame, ts)
            self._learn(pdu, from_client, frame, ts)

    # -- counting ---------------------------------------------------------------------

    def _confirm(self) -> None:
        self.valid = True
        self.labels.protocol[self.key] = PROTOCOL

    def _op(self, reverse: bool, kind: int, code: int, frame: int, ts: float) -> None:
        key = (reverse, kind, code)
        entry = self.ops.get(key)
        if entry is None:
            self.ops[key] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _count(
        self, kind: int, service: int, from_client: bool, frame: int, ts: float, size: int
    ) -> None:
        """Count one MMS PDU: requests as operations of their sender (as client)."""
        if kind in REQUEST_PDUS:
            reverse = not from_client
            if kind == 0:
                self._op(reverse, _REQUEST, service, frame, ts)
            else:
                code = {8: _INITIATE, 11: _CONCLUDE, 5: _CANCEL}[kind]
                self._op(reverse, _SESSION, code, frame, ts)
        elif kind in RESPONSE_PDUS:
            reverse = from_client
            if reverse:
                self.reverse_answered = True
        else:
            if kind == 3:
                self._op(False, _UNCONFIRMED, service, frame, ts)
            return
        if reverse:
            r = self.reverse
            if not r:
                self.reverse = [1, size, ts, ts, frame]
            else:
                r[0] += 1
                r[1] += size
                r[3] = ts

    def _count_error(self, pdu: MmsPdu, from_client: bool, frame: int, ts: float) -> None:
        if isinstance(pdu, ConfirmedError | CancelError | InitiateError | ConcludeError):
            self._op(from_client, _ERROR, pdu.error.error_class, frame, ts)
        elif isinstance(pdu, Reject):
            self._op(False, _REJECT, pdu.reason, frame, ts)

    # -- identity ---------------------------------------------------------------------

    def _sender(self, from_client: bool) -> tuple[str, str]:
        k = self.key
        return (k.client_ip, k.client_mac) if from_client else (k.server_ip, k.server_mac)

    def _identity(
        self, from_client: bool, fields: dict[str, str | int], frame: int, ts: float, message: str
    ) -> None:
        ip, mac = self._sender(from_client)
        self.tally.identity(ip, mac, PROTOCOL, fields, ts, frame, message)

    def _ap_title(
        self, title: str | None, qualifier: int | None, from_client: bool, frame: int, ts: float
    ) -> None:
        fields: dict[str, str | int] = {}
        if title and not title.startswith("raw:"):
            fields["mms_ap_title"] = title
        if qualifier is not None:
            fields["mms_ae_qualifier"] = qualifier
        if fields:
            self._identity(from_client, fields, frame, ts, "acse ap title of the sender")

    def _learn(self, pdu: MmsPdu, from_client: bool, frame: int, ts: float) -> None:
        """Identity from identify / get name list exchanges."""
        if isinstance(pdu, ConfirmedRequest) and pdu.service == GET_NAME_LIST:
            request = get_name_list_request(pdu.body)
            if (
                not isinstance(request, Anomaly)
                and request.object_class == ObjectClass.DOMAIN
                and request.scope == ObjectScope.VMD_SPECIFIC
                and not request.cs_class
            ):
                if len(self.pending) >= MAX_PENDING:
                    del self.pending[next(iter(self.pending))]
                self.pending[(from_client, pdu.invoke_id)] = None
        elif isinstance(pdu, ConfirmedResponse) and pdu.service == IDENTIFY:
            identity = identify_response(pdu.body)
            if not isinstance(identity, Anomaly):
                fields: dict[str, str | int] = {
                    "vendor": identity.vendor.strip(),
                    "model": identity.model.strip(),
                    "firmware": identity.revision.strip(),
                }
                self._identity(from_client, fields, frame, ts, "mms identify response")
        elif isinstance(pdu, ConfirmedResponse) and pdu.service == GET_NAME_LIST:
            if (not from_client, pdu.invoke_id) not in self.pending:
                return
            del self.pending[(not from_client, pdu.invoke_id)]
            response = get_name_list_response(pdu.body)
            if isinstance(response, Anomaly):
                return
            names = self.devices.setdefault(from_client, set())
            for name in response.identifiers:
                if len(names) >= MAX_DEVICES:
                    break
                names.add(name.strip())
            if not response.more_follows:
                self._emit_devices(from_client, frame, ts)

    def _emit_devices(self, side: bool, frame: int, ts: float) -> None:
        names = self.devices.get(side)
        if not names:
            return
        text = ",".join(sorted(n for n in names if n))[:MAX_DEVICE_TEXT]
        if self.emitted.get(side) == text:
            return
        self.emitted[side] = text
        self._identity(
            side,
            {"iec61850_logical_devices": text},
            frame,
            ts,
            "mms get_name_list response (domains: iec 61850 logical devices)",
        )

    # -- stream events ----------------------------------------------------------------

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        self.tally.anomaly(PROTOCOL, kind, self._sender(from_client)[0], ts, frame, detail)

    def on_gap(self, from_client: bool) -> None:
        """Bytes were lost: the TSDU in progress in that direction is gone."""
        self.reassembly[from_client].reset()

    def _reversed_key(self) -> FlowKey:
        k = self.key
        return FlowKey(
            k.transport,
            k.server_ip,
            k.server_port,
            k.client_ip,
            k.client_port,
            k.server_mac,
            k.client_mac,
            k.vlan,
        )

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts (and the reversed role's traffic);
        logical devices of a name list that never finished are reported as far as seen."""
        for side in list(self.devices):
            if side not in self.emitted:
                self._emit_devices(side, 0, ts)
        self.on_checkpoint(ts)

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far, as deltas (the connection goes on)."""
        reversed_key = self._reversed_key()
        for (reverse, kind, code), entry in self.ops.items():
            if kind == _REQUEST:
                name, category = service_name(code), service_category(code)
            elif kind == _UNCONFIRMED:
                name, category = unconfirmed_name(code), unconfirmed_category(code)
            elif kind == _ERROR:
                name, category = "error_" + error_class_name(code), EXCEPTION
            elif kind == _REJECT:
                name, category = "reject_" + reject_reason_name(code), EXCEPTION
            else:
                name, category = _SESSION_OPS[code], SESSION
            key = reversed_key if reverse else self.key
            self.tally.flow_operation(key, PROTOCOL, Transport.TCP, name, category, entry)
        self.ops.clear()
        r = self.reverse
        if r and self.valid:
            k = reversed_key
            self.tally.communication(
                Communication(
                    r[2],
                    r[3],
                    k.client_ip,
                    k.server_ip,
                    k.client_mac,
                    k.server_mac,
                    PROTOCOL,
                    Transport.TCP,
                    k.server_port,
                    int(r[0]),
                    int(r[1]),
                    self.tally.evidence(int(r[4]), "first mms pdu with the roles reversed"),
                    self.reverse_answered,
                )
            )
            self.reverse = []
