"""One demo device as a process: ``python -m otm.simulation.serve KIND --name N --host H --port P``.

The process serves the device over its stack, prints ``ready`` on stdout
once serving, then about once a second (``TICK``) publishes the process
model's values at plant time ``now - epoch``, and answers commands from
stdin (``commands``).  It stops cleanly (sockets closed, threads joined) on
``quit``, at the end of stdin (its parent is gone: no orphan outlives a
killed launcher) and on SIGTERM or SIGINT.  Exit status 0 after a clean
stop, 1 when the stack could not start (why on stderr).

stdout carries only the protocol (``ready``, ``ok``, ``error ...``): file
descriptor 1 is pointed at stderr once the protocol has its own copy, so a
library that prints cannot garble it.

Options: ``--bind`` (default: ``--host``) the address sockets bind,
``--prefix`` the subnet's prefix length (BACnet's broadcast), ``--epoch``
(default: now) the wall-clock time of plant time 0, ``--seed``, and
``--device`` the device as JSON (``DemoDevice.to_json``; default: the
default plant's device of that kind, named ``--name``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from otm.simulation.commands import QUIT, Forcing, execute
from otm.simulation.process import evaluate
from otm.simulation.servers import server_for
from otm.simulation.servers.base import DeviceServer, ServeOptions
from otm.simulation.spec import DEFAULT_PLANT, KINDS, DemoDevice

TICK = 1.0
"""Seconds between publications of the process values: the plant moves about once a second."""

READY = "ready"

log = logging.getLogger("otm.simulation.serve")


def _stdin_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str]) -> None:
    """Feed stdin's lines to ``queue`` from a thread; its end becomes ``quit``."""

    def reader() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.strip())
        loop.call_soon_threadsafe(queue.put_nowait, QUIT)

    threading.Thread(target=reader, name="stdin", daemon=True).start()


async def run(
    device: DemoDevice,
    options: ServeOptions,
    say: Callable[[str], None],
    queue: asyncio.Queue[str],
    clock: Callable[[], float] = time.time,
) -> None:
    """Serve ``device`` until ``quit`` arrives on ``queue``; ``say`` writes one protocol line."""
    server = server_for(device, options)
    forcing = Forcing()
    await server.start()
    try:
        await _publish(server, device, options, forcing, clock)
        say(READY)
        loop = asyncio.get_running_loop()
        due = loop.time() + TICK
        while True:
            try:
                line = await asyncio.wait_for(queue.get(), max(0.0, due - loop.time()))
            except TimeoutError:
                await _publish(server, device, options, forcing, clock)
                due += TICK
                if due < loop.time():  # a stalled loop does not publish in a burst
                    due = loop.time() + TICK
                continue
            answer = execute(line, device, forcing, server.quality)
            if answer == QUIT:
                return
            await _publish(server, device, options, forcing, clock)
            say(answer)
    finally:
        await server.close()


async def _publish(
    server: DeviceServer,
    device: DemoDevice,
    options: ServeOptions,
    forcing: Forcing,
    clock: Callable[[], float],
) -> None:
    values = evaluate(clock() - options.epoch, options.seed, forcing.overrides)
    by_tag = {p.tag: values[p.variable] for p in device.points}
    try:
        await server.publish(by_tag, frozenset(forcing.bad))
    except Exception:  # a value the stack refuses must not stop the device
        log.exception("%s: could not publish", device.name)


async def _serve(device: DemoDevice, options: ServeOptions, out: TextIO) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, queue.put_nowait, QUIT)
    _stdin_lines(loop, queue)

    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    await run(device, options, say, queue)


def parse_args(argv: Sequence[str] | None = None) -> tuple[DemoDevice, ServeOptions]:
    """The device and its options from the command line (``SystemExit`` on misuse)."""
    parser = argparse.ArgumentParser(
        prog="python -m otm.simulation.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--name", required=True)
    parser.add_argument("--host", required=True, help="the device's address")
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--bind", help="address to bind (default: --host)")
    parser.add_argument("--prefix", type=int, default=32, help="subnet prefix length")
    parser.add_argument("--epoch", type=float, help="wall-clock time of plant time 0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", help="the device as JSON (DemoDevice.to_json)")
    args = parser.parse_args(argv)
    if args.device:
        try:
            device = DemoDevice.from_json(args.device)
        except ValueError as exc:
            parser.error(str(exc))
        if device.kind != args.kind:
            parser.error(f"--device is a {device.kind} device, not {args.kind}")
        device = dataclasses.replace(device, name=args.name)
    else:
        template = next(d for d in DEFAULT_PLANT.devices if d.kind == args.kind)
        device = dataclasses.replace(template, name=args.name)
    options = ServeOptions(
        host=args.host,
        port=args.port,
        bind=args.bind or args.host,
        prefix=args.prefix,
        epoch=time.time() if args.epoch is None else args.epoch,
        seed=args.seed,
    )
    return device, options


def main(argv: Sequence[str] | None = None) -> int:
    """Run one device process (see the module docstring); the exit status."""
    device, options = parse_args(argv)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format=f"{device.name}: %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        asyncio.run(_serve(device, options, out))
    except Exception as exc:
        print(f"{device.name}: cannot serve {device.kind} on {options.bind}:{options.port}: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)  # fmt: skip
        return 1
    finally:
        with contextlib.suppress(OSError):
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
