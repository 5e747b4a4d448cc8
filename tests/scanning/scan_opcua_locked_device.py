"""An asyncua server that lets no anonymous user in: only user-name tokens.

Run as ``python scan_opcua_locked_device.py HOST PORT``; prints ``ready`` once
listening.  SecurityPolicy None endpoints are offered (GetEndpoints works, as
Part 4 5.5.1 requires), but no anonymous user token, so a careful scanner
must stop after discovery and never try a session.
"""

from __future__ import annotations

import asyncio
import sys

from asyncua import Server, ua


async def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://{host}:{port}/locked/")
    server.set_server_name("Locked Line 5 Server")
    await server.set_application_uri("urn:acme:line5:locked")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    server.set_security_IDs(["Username"])
    async with server:
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
