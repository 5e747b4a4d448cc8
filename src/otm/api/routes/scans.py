"""``/api/v1/scans``: start a safe active scan inside the console's allowlist, follow it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field

from otm.api.security import ConsoleDep, Engineer
from otm.services.scan import IP_PROTOCOLS, ScanOptions
from otm.services.scan_jobs import ScanRefusedError

router = APIRouter(prefix="/scans", tags=["scans"])


class ScanRequest(BaseModel):
    """A scan: the networks it may touch (inside the console's allowlist), optional targets
    within them, protocols, and its pace."""

    allow: list[str] = Field(min_length=1, max_length=64)
    targets: list[str] = Field(default_factory=list, max_length=4096)
    protocols: list[str] | None = Field(default=None, max_length=20)
    rate: float = Field(default=5.0, gt=0, le=100)
    device_rate: float = Field(default=2.0, gt=0, le=20)
    timeout: float = Field(default=2.0, gt=0, le=30)
    ports: dict[str, int] = Field(
        default_factory=dict, description="Protocol -> port for devices off their standard port."
    )
    dry_run: bool = False

    def options(self) -> ScanOptions:
        """The scan service's options."""
        return ScanOptions(
            allow=self.allow,
            targets=self.targets,
            protocols=self.protocols,
            rate=self.rate,
            device_rate=self.device_rate,
            timeout=self.timeout,
            ports=dict(self.ports),
        )


@router.get("")
def list_scans(_: Engineer, console: ConsoleDep) -> dict[str, Any]:
    """The networks the console may scan, the protocols a scan may ask, and its scans,
    newest first."""
    return {
        "allowed": [str(n) for n in console.scans.allowed],
        "protocols": list(IP_PROTOCOLS),
        "items": [j.to_dict() for j in console.scans.jobs()],
    }


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start_scan(
    body: ScanRequest, who: Engineer, console: ConsoleDep, response: Response
) -> dict[str, Any]:
    """Start a scan (202; follow it at /scans/{id}), or with ``dry_run`` list what it would
    send (200; nothing is sent).  409 when it is outside the allowlist or one is running."""
    try:
        if body.dry_run:
            response.status_code = status.HTTP_200_OK
            return {"dry_run": True, "requests": console.scans.plan(body.options())}
        job = console.scans.start(body.options(), who.name)
    except ScanRefusedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return job.to_dict()


@router.get("/{scan_id}")
def get_scan(scan_id: str, _: Engineer, console: ConsoleDep) -> dict[str, Any]:
    """One scan's state, counts, devices found and errors."""
    job = console.scans.job(scan_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no scan {scan_id!r}")
    return job.to_dict()
