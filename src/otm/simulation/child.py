"""A device process seen from the launcher: start it, wait for ``ready``, talk to it, end it.

Two reader threads drain the child's stdout (protocol lines, into a queue)
and stderr (the last ``STDERR_LINES`` lines kept for error messages), so a
chatty library can never block the child on a full pipe.  The child runs in
a session of its own: a Ctrl-C in the launcher's terminal reaches the
launcher, which then stops the devices in order, instead of killing them
all at once behind its back.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

STDERR_LINES = 40
"""stderr lines kept per device: enough for a Python traceback's tail."""

COMMAND_SECONDS = 10.0
"""How long a command may wait for its answer (a loaded machine, a busy asyncua)."""


class DeviceError(RuntimeError):
    """A device that did not start, did not answer or refused a command; says which and why."""


class DeviceProcess:
    """One device's process: ``start``, ``wait_ready``, ``command``, ``kill``, ``stop``."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The process id while it runs, else None."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.pid is not None

    def start(self) -> None:
        """Start the process (not waiting for ``ready``)."""
        self._lines = queue.Queue()
        self._stderr.clear()
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=self.env, start_new_session=True,
        )  # fmt: skip
        out, err = self.proc.stdout, self.proc.stderr
        assert out is not None and err is not None
        lines, tail = self._lines, self._stderr

        def read_out() -> None:
            with out:
                for line in out:
                    lines.put(line.rstrip("\n"))
            lines.put(None)

        def read_err() -> None:
            with err:
                for line in err:
                    tail.append(line.rstrip("\n"))

        for target in (read_out, read_err):
            threading.Thread(target=target, name=f"{self.name}-{target.__name__}",
                             daemon=True).start()  # fmt: skip

    def stderr_tail(self, lines: int = 12) -> str:
        """The last ``lines`` lines the device wrote on stderr."""
        return "\n".join(list(self._stderr)[-lines:])

    def _next_line(self, timeout: float, waiting_for: str) -> str:
        try:
            line = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise DeviceError(self._why(f"no {waiting_for} within {timeout:.0f} s")) from None
        if line is None:
            time.sleep(0.1)  # let the stderr reader catch the last words
            raise DeviceError(self._why(f"exited before {waiting_for}"))
        return line

    def _why(self, what: str) -> str:
        code = self.proc.poll() if self.proc is not None else None
        status = f" (exit status {code})" if code is not None else ""
        tail = self.stderr_tail()
        return f"device {self.name}: {what}{status}" + (f"; stderr:\n{tail}" if tail else "")

    def wait_ready(self, deadline: float) -> None:
        """Until the device prints ``ready`` (``deadline`` on ``time.monotonic``); DeviceError."""
        line = self._next_line(deadline - time.monotonic(), "'ready'")
        if line != "ready":
            raise DeviceError(self._why(f"said {line!r} instead of 'ready'"))

    def command(self, line: str, timeout: float = COMMAND_SECONDS) -> str:
        """Send one command line; its answer line (``ok``), DeviceError for ``error ...``."""
        with self._lock:
            proc = self.proc
            if proc is None or proc.poll() is not None or proc.stdin is None:
                raise DeviceError(f"device {self.name} is not running")
            try:
                proc.stdin.write(line + "\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                raise DeviceError(self._why(f"cannot take commands: {exc}")) from None
            answer = self._next_line(timeout, f"answer to {line!r}")
        if answer.startswith("error"):
            raise DeviceError(f"device {self.name}: {answer.removeprefix('error').strip()}")
        return answer

    def kill(self) -> None:
        """End the process at once (SIGKILL): what a crash looks like from the network."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        self._reap(proc, 10.0)

    def stop(self, timeout: float = 5.0) -> None:
        """End the process cleanly (SIGTERM), killing it if it takes longer than ``timeout``."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._reap(proc, 10.0)

    def _reap(self, proc: subprocess.Popen[str], timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)  # still there: unkillable (D state), nothing more to do
        if proc.stdin is not None:  # stdout and stderr are their readers' to close
            with contextlib.suppress(OSError):
                proc.stdin.close()
        self.proc = None
