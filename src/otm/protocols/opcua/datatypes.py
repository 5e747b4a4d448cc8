"""OPC UA built-in types and the structures the services carry, fields in wire order.

Values keep what the wire can tell apart, so that a decoded message encodes
back to the same bytes: a null String or ByteString (length -1) is ``None``
and an empty one ``""``/``b""``; a null array is ``None`` and an empty one
``()``; a NodeId remembers the encoding form it arrived in (``form``, left
out of comparisons).  Integers are plain ``int``: StatusCode is a UInt32,
DateTime an Int64 count of 100 ns ticks since 1601-01-01 UTC (Part 6 5.2.2.5),
kept raw so the codec needs no clock library.  Layouts: Part 6 5.2.2 (built-in
types) and Part 4 chapter 7 (structures).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from otm.protocols.opcua.constants import application_type_name, security_mode_name

# --- built-in types (Part 6, 5.2.2) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Guid:
    """A Guid as its 16 wire bytes: Data1 UInt32, Data2 and Data3 UInt16 (little
    endian), Data4 8 bytes (5.2.2.7)."""

    data: bytes

    def __str__(self) -> str:
        d = self.data
        if len(d) != 16:
            return d.hex()
        d1 = int.from_bytes(d[0:4], "little")
        d2 = int.from_bytes(d[4:6], "little")
        d3 = int.from_bytes(d[6:8], "little")
        return f"{d1:08x}-{d2:04x}-{d3:04x}-{d[8:10].hex()}-{d[10:16].hex()}"


@dataclass(frozen=True, slots=True)
class NodeId:
    """A node in a server's address space (5.2.2.9).

    ``identifier`` is an ``int`` (numeric), ``str`` (string), ``Guid`` or
    ``bytes`` (opaque).  ``form`` is the encoding byte it was read with
    (``NodeIdForm``); the encoder uses it when the value fits, else the
    smallest form.  It takes no part in equality: ``ns=0;i=2256`` is the same
    node in the two-byte, four-byte or numeric form.
    """

    namespace: int
    identifier: int | str | Guid | bytes
    form: int | None = field(default=None, compare=False)

    def numeric(self, namespace: int = 0) -> int | None:
        """The numeric identifier when the node is numeric in ``namespace``."""
        if self.namespace == namespace and type(self.identifier) is int:
            return self.identifier
        return None

    def __str__(self) -> str:
        prefix = f"ns={self.namespace};" if self.namespace else ""
        ident = self.identifier
        if isinstance(ident, int):
            return f"{prefix}i={ident}"
        if isinstance(ident, str):
            return f"{prefix}s={ident}"
        if isinstance(ident, Guid):
            return f"{prefix}g={ident}"
        return f"{prefix}b={ident.hex()}"


@dataclass(frozen=True, slots=True)
class ExpandedNodeId:
    """A NodeId that may name its namespace by URI and its server by index (5.2.2.10)."""

    node_id: NodeId
    namespace_uri: str | None = None
    server_index: int | None = None


@dataclass(frozen=True, slots=True)
class QualifiedName:
    """A name qualified by a namespace index (5.2.2.13): UInt16, String."""

    namespace: int
    name: str | None


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """Text in a locale (5.2.2.14): a mask byte (0x01 locale, 0x02 text), then each."""

    locale: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ExtensionObject:
    """A structure wrapped with its type id (5.2.2.15).

    ``encoding`` 0 has no body, 1 a binary body, 2 an XML body; ``body`` is
    the raw bytes (``None`` when absent or null).  The structures otm needs
    are decoded from it on demand (``codec.decode_server_status`` ...).
    """

    type_id: NodeId
    encoding: int = 0
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class DiagnosticInfo:
    """Vendor diagnostics (5.2.2.12); the integers index the response's string table.

    A mask byte says which fields follow, in this order: 0x01 symbolic id,
    0x02 namespace URI, 0x08 locale, 0x04 localized text, 0x10 additional
    info, 0x20 inner status code, 0x40 inner diagnostic info (recursive).
    """

    symbolic_id: int | None = None
    namespace_uri: int | None = None
    locale: int | None = None
    localized_text: int | None = None
    additional_info: str | None = None
    inner_status_code: int | None = None
    inner_diagnostic_info: DiagnosticInfo | None = None


@dataclass(frozen=True, slots=True)
class Variant:
    """Any built-in value (5.2.2.16).

    ``built_in_type`` is the ``BuiltInType`` id (0: null).  A scalar's
    ``value`` is the Python value of that type; an array's (``array=True``) a
    tuple of them, or ``None`` for a null array; ``dimensions`` are the
    optional ArrayDimensions of a multi-dimensional array.
    """

    built_in_type: int = 0
    value: object = None
    array: bool = False
    dimensions: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class DataValue:
    """A value with its status and time stamps (5.2.2.17); absent fields are ``None``."""

    value: Variant | None = None
    status: int | None = None
    source_timestamp: int | None = None
    source_picoseconds: int | None = None
    server_timestamp: int | None = None
    server_picoseconds: int | None = None


# --- structures (Part 4, chapter 7) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestHeader:
    """Every request's header (7.32)."""

    authentication_token: NodeId
    timestamp: int
    request_handle: int
    return_diagnostics: int
    audit_entry_id: str | None
    timeout_hint: int
    additional_header: ExtensionObject


@dataclass(frozen=True, slots=True)
class ResponseHeader:
    """Every response's header (7.33); ``request_handle`` echoes the request's."""

    timestamp: int
    request_handle: int
    service_result: int
    service_diagnostics: DiagnosticInfo
    string_table: tuple[str | None, ...] | None
    additional_header: ExtensionObject


@dataclass(frozen=True, slots=True)
class ApplicationDescription:
    """Who an application is (7.2): the identity a server gives of itself."""

    application_uri: str | None
    product_uri: str | None
    application_name: LocalizedText
    application_type: int
    gateway_server_uri: str | None
    discovery_profile_uri: str | None
    discovery_urls: tuple[str | None, ...] | None

    @property
    def application_type_name(self) -> str:
        return application_type_name(self.application_type)


@dataclass(frozen=True, slots=True)
class UserTokenPolicy:
    """A way a user may authenticate on an endpoint (7.42)."""

    policy_id: str | None
    token_type: int
    issued_token_type: str | None
    issuer_endpoint_url: str | None
    security_policy_uri: str | None


@dataclass(frozen=True, slots=True)
class EndpointDescription:
    """One endpoint a server offers (7.14): URL, its own description, its security."""

    endpoint_url: str | None
    server: ApplicationDescription
    server_certificate: bytes | None
    security_mode: int
    security_policy_uri: str | None
    user_identity_tokens: tuple[UserTokenPolicy, ...] | None
    transport_profile_uri: str | None
    security_level: int

    @property
    def security_mode_name(self) -> str:
        return security_mode_name(self.security_mode)


@dataclass(frozen=True, slots=True)
class ChannelSecurityToken:
    """The token an OpenSecureChannel response issues (5.6.2.2)."""

    channel_id: int
    token_id: int
    created_at: int
    revised_lifetime: int


@dataclass(frozen=True, slots=True)
class SignatureData:
    """An algorithm URI and a signature (7.36)."""

    algorithm: str | None
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class SignedSoftwareCertificate:
    """A software certificate and its signature (7.37; unused by most stacks)."""

    certificate_data: bytes | None
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class ReadValueId:
    """One node attribute a Read asks for (7.29)."""

    node_id: NodeId
    attribute_id: int
    index_range: str | None
    data_encoding: QualifiedName


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """The product a server says it is (Part 5 12.4), the Server object's BuildInfo."""

    product_uri: str | None
    manufacturer_name: str | None
    product_name: str | None
    software_version: str | None
    build_number: str | None
    build_date: int


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """ServerStatusDataType (Part 5 12.10): state, times and BuildInfo."""

    start_time: int
    current_time: int
    state: int
    build_info: BuildInfo
    seconds_till_shutdown: int
    shutdown_reason: LocalizedText
