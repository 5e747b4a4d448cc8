"""A process that runs a one-device demo plant until it is signalled (the parent of the tests).

``python sim_parent.py MODE`` starts the plant, prints one JSON line (run id,
interface, device pids) and waits; the tests then kill or terminate it and
look at what is left.
"""

from __future__ import annotations

import json
import sys
import time

from otm.simulation import DemoPlant, RunningPlant
from otm.simulation.spec import TANK_PLC


def main() -> None:
    with RunningPlant(DemoPlant((TANK_PLC,)), mode=sys.argv[1]) as plant:  # type: ignore[arg-type]
        facts = {"run_id": plant.run_id, "interface": plant.capture_interface,
                 "pids": list(plant.pids().values()), "mode": plant.mode}  # fmt: skip
        print(json.dumps(facts), flush=True)
        time.sleep(120)


if __name__ == "__main__":
    main()
