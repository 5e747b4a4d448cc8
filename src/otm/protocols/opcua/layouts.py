"""Wire layouts of the structures and services otm decodes, as a table.

Each row pairs a dataclass of ``datatypes``/``messages`` with the codec of
each of its fields, in the order Part 4 lists them (its section after each
name); ``binary.StructOf`` checks at import that the counts agree.  Adding a
service is adding its dataclass and one row here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from otm.protocols.opcua import messages as m
from otm.protocols.opcua.binary import (
    BOOLEAN,
    BYTE,
    BYTESTRING,
    DATA_VALUE,
    DATETIME,
    DIAGNOSTIC_INFO,
    DOUBLE,
    ENUM,
    EXTENSION_OBJECT,
    LOCALIZED_TEXT,
    NODE_ID,
    QUALIFIED_NAME,
    STATUS_CODE,
    STRING,
    UINT32,
    ArrayOf,
    StructOf,
)
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    BuildInfo,
    ChannelSecurityToken,
    EndpointDescription,
    ReadValueId,
    RequestHeader,
    ResponseHeader,
    ServerStatus,
    SignatureData,
    SignedSoftwareCertificate,
    UserTokenPolicy,
)

STRINGS = ArrayOf(STRING)

# --- structures (Part 4 chapter 7; Part 5 for BuildInfo and ServerStatus) ---------

REQUEST_HEADER = StructOf(  # 7.32
    RequestHeader, NODE_ID, DATETIME, UINT32, UINT32, STRING, UINT32, EXTENSION_OBJECT
)
RESPONSE_HEADER = StructOf(  # 7.33
    ResponseHeader, DATETIME, UINT32, STATUS_CODE, DIAGNOSTIC_INFO, STRINGS, EXTENSION_OBJECT
)
APPLICATION_DESCRIPTION = StructOf(  # 7.2
    ApplicationDescription, STRING, STRING, LOCALIZED_TEXT, ENUM, STRING, STRING, STRINGS
)
USER_TOKEN_POLICY = StructOf(UserTokenPolicy, STRING, ENUM, STRING, STRING, STRING)  # 7.42
ENDPOINT_DESCRIPTION = StructOf(  # 7.14
    EndpointDescription,
    STRING,
    APPLICATION_DESCRIPTION,
    BYTESTRING,
    ENUM,
    STRING,
    ArrayOf(USER_TOKEN_POLICY),
    STRING,
    BYTE,
)
CHANNEL_SECURITY_TOKEN = StructOf(ChannelSecurityToken, UINT32, UINT32, DATETIME, UINT32)
SIGNATURE_DATA = StructOf(SignatureData, STRING, BYTESTRING)  # 7.36
SIGNED_SOFTWARE_CERTIFICATE = StructOf(SignedSoftwareCertificate, BYTESTRING, BYTESTRING)
READ_VALUE_ID = StructOf(ReadValueId, NODE_ID, UINT32, STRING, QUALIFIED_NAME)  # 7.29
BUILD_INFO = StructOf(BuildInfo, STRING, STRING, STRING, STRING, STRING, DATETIME)
SERVER_STATUS = StructOf(ServerStatus, DATETIME, DATETIME, ENUM, BUILD_INFO, UINT32, LOCALIZED_TEXT)

# --- services (Part 4 chapter 5) ------------------------------------------------

_SERVICES: tuple[StructOf, ...] = (
    StructOf(  # 5.6.2
        m.OpenSecureChannelRequest, REQUEST_HEADER, UINT32, ENUM, ENUM, BYTESTRING, UINT32
    ),
    StructOf(
        m.OpenSecureChannelResponse, RESPONSE_HEADER, UINT32, CHANNEL_SECURITY_TOKEN, BYTESTRING
    ),
    StructOf(m.CloseSecureChannelRequest, REQUEST_HEADER),  # 5.6.3
    StructOf(m.FindServersRequest, REQUEST_HEADER, STRING, STRINGS, STRINGS),  # 5.5.2
    StructOf(m.FindServersResponse, RESPONSE_HEADER, ArrayOf(APPLICATION_DESCRIPTION)),
    StructOf(m.GetEndpointsRequest, REQUEST_HEADER, STRING, STRINGS, STRINGS),  # 5.5.4
    StructOf(m.GetEndpointsResponse, RESPONSE_HEADER, ArrayOf(ENDPOINT_DESCRIPTION)),
    StructOf(  # 5.7.2
        m.CreateSessionRequest,
        REQUEST_HEADER,
        APPLICATION_DESCRIPTION,
        STRING,
        STRING,
        STRING,
        BYTESTRING,
        BYTESTRING,
        DOUBLE,
        UINT32,
    ),
    StructOf(
        m.CreateSessionResponse,
        RESPONSE_HEADER,
        NODE_ID,
        NODE_ID,
        DOUBLE,
        BYTESTRING,
        BYTESTRING,
        ArrayOf(ENDPOINT_DESCRIPTION),
        ArrayOf(SIGNED_SOFTWARE_CERTIFICATE),
        SIGNATURE_DATA,
        UINT32,
    ),
    StructOf(  # 5.7.3
        m.ActivateSessionRequest,
        REQUEST_HEADER,
        SIGNATURE_DATA,
        ArrayOf(SIGNED_SOFTWARE_CERTIFICATE),
        STRINGS,
        EXTENSION_OBJECT,
        SIGNATURE_DATA,
    ),
    StructOf(m.CloseSessionRequest, REQUEST_HEADER, BOOLEAN),  # 5.7.4
    StructOf(m.ReadRequest, REQUEST_HEADER, DOUBLE, ENUM, ArrayOf(READ_VALUE_ID)),  # 5.11.2
    StructOf(m.ReadResponse, RESPONSE_HEADER, ArrayOf(DATA_VALUE), ArrayOf(DIAGNOSTIC_INFO)),
    StructOf(m.ServiceFault, RESPONSE_HEADER),  # 7.35
)

SERVICE_LAYOUTS: Mapping[int, StructOf] = MappingProxyType(
    {layout.cls.TYPE_ID: layout for layout in _SERVICES}
)
"""Encoding id of a typed service -> its layout."""

LAYOUT_OF: Mapping[type, StructOf] = MappingProxyType({layout.cls: layout for layout in _SERVICES})
"""Typed service class -> its layout."""
