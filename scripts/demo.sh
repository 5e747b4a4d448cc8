#!/usr/bin/env bash
# The main job on a fresh machine: install otm, generate a capture of a small
# simulated multi-vendor site (PLCs, RTUs, building, OPC UA, PROFINET, switch), analyse it
# into the embedded SQLite inventory and print it. Pass your own capture files
# as arguments to analyse those instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p demo
export OTM_DB="${OTM_DB:-demo/otm.db}"
demo_site=0
if [ "$#" -eq 0 ]; then
    .venv/bin/otm demo-capture demo/plant.pcap --plant demo/site.yaml
    set -- demo/plant.pcap
    demo_site=1
fi
.venv/bin/otm analyze "$@"
.venv/bin/otm assets
.venv/bin/otm links
.venv/bin/otm export --format json --out demo/inventory.json
echo "inventory written to demo/inventory.json (database: $OTM_DB)"
if [ "$demo_site" -eq 1 ]; then
    # The plant map of the demo site: zones, processes, what PLC-3 takes down.
    .venv/bin/otm plant load demo/site.yaml
    .venv/bin/otm zones
    .venv/bin/otm processes
    .venv/bin/otm impact PLC-3
    .venv/bin/otm map --out demo/plant.svg
    echo "plant map drawn in demo/plant.svg"
fi
