"""A UDP request nobody answers links its sender but makes no server of its target.

A scanner sends BACnet, EtherNet/IP ListIdentity and SNMP probes to every
host; a host that answers none of them (here an OPC UA server) must not
become a BACnet, ENIP or SNMP server.  Over UDP only an answer shows a
server; over TCP the handshake does, also when the capture holds only the
client's direction.  A live capture reports one flow in deltas: a flow
whose answer comes after a checkpoint ends up answered.
"""

from __future__ import annotations

from otm.capture.frames import ETH_IPV4, PROTO_UDP, TcpSession, ethernet, ipv4, udp
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory, Role
from otm.observations.records import Communication, Observation
from otm.protocols.bacnet import services as bacnet_services
from otm.protocols.bacnet.codec import encode_apdu, encode_bvll, encode_npdu, who_is_datagram
from otm.protocols.bacnet.constants import BvlcFunction, ObjectType, UnconfirmedService
from otm.protocols.bacnet.messages import Npdu, NpduCarrier, UnconfirmedRequest
from otm.protocols.bacnet.tags import ObjectIdentifier
from otm.protocols.enip.codec import (
    encode_cpf,
    encode_encapsulation,
    encode_identity_item,
)
from otm.protocols.enip.constants import ITEM_LIST_IDENTITY, LIST_IDENTITY
from otm.protocols.enip.messages import CpfItem, Encapsulation, IdentityItem
from otm.protocols.fins import FinsCommand, FinsHeader, FinsResponse, encode_frame
from otm.protocols.modbus import codec as modbus
from otm.protocols.modbus.messages import Adu, ReadRequest
from otm.protocols.snmp.codec import encode_message
from otm.protocols.snmp.constants import SYS_DESCR, PduType, ValueType
from otm.protocols.snmp.messages import CommunityMessage, Pdu, VarBind
from otm.sensing.engine import PassiveEngine

Host = tuple[str, str]
SCANNER: Host = ("10.0.0.5", "02:00:00:00:00:05")
SILENT: Host = ("10.0.0.30", "02:00:00:00:00:30")  # an OPC UA server: no BACnet, ENIP, SNMP
DEVICE: Host = ("10.0.0.40", "02:00:00:00:00:40")  # an adapter that answers ListIdentity


def datagram(src: Host, sport: int, dst: Host, dport: int, payload: bytes) -> bytes:
    segment = udp(sport, dport, payload, src[0], dst[0])
    return ethernet(dst[1], src[1], ETH_IPV4, ipv4(src[0], dst[0], PROTO_UDP, segment))


def list_identity() -> bytes:
    return encode_encapsulation(Encapsulation(LIST_IDENTITY, 0, 0, bytes(8), 0, b""))


def list_identity_reply(address: str) -> bytes:
    item = IdentityItem(
        1, 2, 44818, address, 1, 0x0C, 166, 11, 2, 0x0030, 0x00C0FFEE, "1756-EN2T/D", 3
    )
    data = encode_cpf((CpfItem(ITEM_LIST_IDENTITY, encode_identity_item(item)),))
    return encode_encapsulation(Encapsulation(LIST_IDENTITY, 0, 0, bytes(8), 0, data))


def snmp_get() -> bytes:
    get = Pdu(PduType.GET_REQUEST, 7, 0, 0, (VarBind(SYS_DESCR, ValueType.NULL, None),))
    return encode_message(CommunityMessage(1, b"public", get))


def i_am(instance: int) -> bytes:
    i_am = bacnet_services.IAm(ObjectIdentifier(ObjectType.DEVICE, instance), 1476, 3, 260)
    apdu = UnconfirmedRequest(UnconfirmedService.I_AM, bacnet_services.encode_service(i_am))
    npdu = encode_npdu(Npdu(False, 0, None, None, None, None, encode_apdu(apdu)))
    return encode_bvll(NpduCarrier(BvlcFunction.ORIGINAL_UNICAST_NPDU, npdu))


def fins(code: int, response: bool, src: int, dst: int) -> bytes:
    header = FinsHeader(0xC0 if response else 0x80, 0, 2, 0, dst, 0, 0, src, 0, 1)
    if response:
        return encode_frame(FinsResponse(header, code, 0, b""))
    return encode_frame(FinsCommand(header, code, bytes(6)))


def numbered(
    frames: list[bytes], t0: float = 1_700_000_000.0
) -> list[tuple[int, float, int, bytes]]:
    return [(i + 1, t0 + i * 0.1, 1, f) for i, f in enumerate(frames)]


def communications(observations: list[Observation]) -> dict[tuple[str, str, str], list[bool]]:
    out: dict[tuple[str, str, str], list[bool]] = {}
    for o in observations:
        if isinstance(o, Communication) and o.client_ip and o.server_ip:
            out.setdefault((o.client_ip, o.server_ip, o.protocol), []).append(o.answered)
    return out


def services(inv: Inventory, host: Host) -> set[tuple[str, str]]:
    asset = inv.find(host[0])
    assert asset is not None
    return {(s.name, s.role) for s in asset.services}


def test_a_scan_of_a_host_that_answers_nothing_makes_no_server() -> None:
    frames = [
        datagram(SCANNER, 47808, SILENT, 47808, who_is_datagram(broadcast=False)),
        datagram(SCANNER, 50000, SILENT, 44818, list_identity()),
        datagram(SCANNER, 50001, SILENT, 161, snmp_get()),
        datagram(SCANNER, 50002, DEVICE, 44818, list_identity()),
        datagram(DEVICE, 44818, SCANNER, 50002, list_identity_reply(DEVICE[0])),
    ]
    observations = PassiveEngine(ref="scan").run(numbered(frames)).observations
    assert communications(observations) == {
        (SCANNER[0], SILENT[0], "bacnet"): [False],
        (SCANNER[0], SILENT[0], "enip"): [False],
        (SCANNER[0], SILENT[0], "snmp"): [False],
        (SCANNER[0], DEVICE[0], "enip"): [True],
    }
    inv = build_inventory(observations)
    # Every probe is a link: the traffic happened.
    assert {(k[0], k[1], k[2]) for k in inv.links} == {
        (SCANNER[0], SILENT[0], "bacnet"),
        (SCANNER[0], SILENT[0], "enip"),
        (SCANNER[0], SILENT[0], "snmp"),
        (SCANNER[0], DEVICE[0], "enip"),
    }
    assert services(inv, SILENT) == set()
    silent = inv.find(SILENT[0])
    assert silent is not None and silent.role is not Role.PLC
    assert "bacnet" not in silent.role_reason and "enip" not in silent.role_reason
    assert services(inv, DEVICE) == {("enip", "server")}
    assert services(inv, SCANNER) == {("bacnet", "client"), ("enip", "client"), ("snmp", "client")}


def test_an_answer_after_a_checkpoint_makes_the_flow_answered() -> None:
    request = datagram(SCANNER, 50002, DEVICE, 44818, list_identity())
    reply = datagram(DEVICE, 44818, SCANNER, 50002, list_identity_reply(DEVICE[0]))
    frames = numbered([request, reply, request])
    engine = PassiveEngine(ref="live", source="live")
    deltas: list[list[Observation]] = []
    for frame in frames:
        engine.feed([frame])
        deltas.append(engine.checkpoint())
    last = engine.finish().observations
    key = (SCANNER[0], DEVICE[0], "enip")
    # Before the answer: unanswered so far; with it, and ever after: answered.
    assert [communications(d).get(key) for d in deltas] == [[False], [True], [True]]
    assert communications(last).get(key) is None  # nothing new to report at the end
    every = [o for d in deltas for o in d] + last
    inv = build_inventory(every)
    assert services(inv, DEVICE) == {("enip", "server")}
    (link,) = (link for link in inv.links.values() if link.server == DEVICE[0])
    assert link.packets == 3


def test_a_request_left_unanswered_at_a_checkpoint_stays_unanswered_to_the_end() -> None:
    request = datagram(SCANNER, 50000, SILENT, 44818, list_identity())
    first, second = numbered([request, request])
    engine = PassiveEngine(ref="live", source="live")
    engine.feed([first])
    every = engine.checkpoint()
    engine.feed([second])
    every += engine.finish().observations
    assert communications(every) == {(SCANNER[0], SILENT[0], "enip"): [False, False]}
    assert services(build_inventory(every), SILENT) == set()


def test_a_tcp_server_is_answered_even_when_only_the_client_side_was_captured() -> None:
    # A one-way SPAN: the client's handshake ACK and request, none of the server's packets.
    session = TcpSession(SCANNER[0], 40000, SILENT[0], 502, SCANNER[1], SILENT[1])
    frames = session.handshake()
    frames += session.send(modbus.encode_adu(Adu(1, 1, ReadRequest(3, 0, 10))), from_client=True)
    client_only = [f for f in frames if f[6:12] == bytes.fromhex(SCANNER[1].replace(":", ""))]
    assert 0 < len(client_only) < len(frames)
    observations = PassiveEngine(ref="one-way").run(numbered(client_only)).observations
    assert communications(observations) == {(SCANNER[0], SILENT[0], "modbus"): [True]}
    assert services(build_inventory(observations), SILENT) == {("modbus", "server")}


def test_bacnet_asking_back_is_answered_only_by_a_servers_message() -> None:
    # One conversation (47808 both ends): A asks Who-Is, B answers I-Am, then
    # B asks A Who-Is and A never answers.  The second orientation (B asks A)
    # is the sensor's own Communication; B's request does not answer it.
    a, b = SCANNER, DEVICE
    frames = [
        datagram(a, 47808, b, 47808, who_is_datagram(broadcast=False)),
        datagram(b, 47808, a, 47808, i_am(40)),
        datagram(b, 47808, a, 47808, who_is_datagram(broadcast=False)),
    ]
    observations = PassiveEngine(ref="bacnet").run(numbered(frames)).observations
    assert communications(observations) == {
        (a[0], b[0], "bacnet"): [True],
        (b[0], a[0], "bacnet"): [False],
    }
    inv = build_inventory(observations)
    assert services(inv, a) == {("bacnet", "client")}
    assert services(inv, b) == {("bacnet", "client"), ("bacnet", "server")}


def test_fins_commands_against_the_flow_with_no_response_serve_nothing() -> None:
    # PLC1 commands PLC2, which responds; PLC2 commands PLC1, which never does.
    plc1, plc2 = SCANNER, DEVICE
    frames = [
        datagram(plc1, 9600, plc2, 9600, fins(0x0101, False, 1, 2)),
        datagram(plc2, 9600, plc1, 9600, fins(0x0101, True, 2, 1)),
        datagram(plc2, 9600, plc1, 9600, fins(0x0101, False, 2, 1)),
    ]
    observations = PassiveEngine(ref="fins").run(numbered(frames)).observations
    assert communications(observations) == {
        (plc1[0], plc2[0], "omron-fins"): [True],
        (plc2[0], plc1[0], "omron-fins"): [False],
    }
    inv = build_inventory(observations)
    assert services(inv, plc1) == {("omron-fins", "client")}
    assert services(inv, plc2) == {("omron-fins", "client"), ("omron-fins", "server")}
