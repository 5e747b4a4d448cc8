"""A real OPC UA server for the tests: asyncua's server with a BuildInfo.

Run as ``python opcua_device.py HOST PORT``; prints ``ready`` once listening.
SecurityPolicy None only, as many plant servers still run (otm flags it).
"""

from __future__ import annotations

import asyncio
import datetime
import sys

from asyncua import Server, ua


async def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://{host}:{port}/otm/")
    server.set_server_name("Acme Line 3 OPC UA Server")
    await server.set_application_uri("urn:acme:line3:opcua")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    await server.set_build_info(
        product_uri="urn:acme:opcua:server",
        manufacturer_name="Acme Automation",
        product_name="Acme OPC Gateway",
        software_version="4.2.1",
        build_number="4211",
        build_date=datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC),
    )
    async with server:
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
