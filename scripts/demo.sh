#!/usr/bin/env bash
# The main job on a fresh machine: install otm, then
#  1. run the simulated plant (Modbus, S7, EtherNet/IP, BACnet and OPC UA devices
#     over other libraries' stacks; network namespaces as root, loopback otherwise),
#     discover it passively and actively, poll and monitor it for a while
#     (historian, device health, alarms), and stop it, leaving nothing running;
#  2. analyse a generated capture of a larger multi-vendor site (PLCs, RTUs,
#     PROFINET IO, building, OPC UA, switch) and draw its plant map;
#  3. serve the console (web UI and REST API) on the live plant's data at
#     http://127.0.0.1:8080/ until Ctrl-C (OTM_DEMO_SERVE=0 skips it; OTM_DEMO_PORT
#     moves it); the first admin's one-time password is printed.
# Pass your own capture files as arguments to analyse those instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p demo
otm=.venv/bin/otm
if [ "$#" -gt 0 ]; then
    export OTM_DB="${OTM_DB:-demo/otm.db}"
    $otm analyze "$@"
    $otm assets
    $otm links
    $otm export --format json --out demo/inventory.json
    echo "inventory written to demo/inventory.json (database: $OTM_DB)"
    if [ "${OTM_DEMO_SERVE:-1}" != "0" ]; then
        exec $otm serve --port "${OTM_DEMO_PORT:-8080}"
    fi
    exit 0
fi

live=demo/otm.db
rm -f "$live" "$live-wal" "$live-shm"
$otm demo --db "$live" --folder demo --duration "${OTM_DEMO_SECONDS:-40}"
$otm alarms list --db "$live"
$otm alarms journal --db "$live"
$otm alerts --db "$live"
echo "the live plant's data: $live (otm assets/health/alarms/history --db $live)"

site=demo/site.db
rm -f "$site" "$site-wal" "$site-shm"
$otm demo-capture demo/plant.pcap --plant demo/site.yaml
$otm analyze demo/plant.pcap --db "$site"
$otm assets --db "$site"
$otm export --db "$site" --format json --out demo/inventory.json
# The plant map of the site: zones, processes, what PLC-3 takes down.
$otm plant load demo/site.yaml --db "$site"
$otm zones --db "$site"
$otm processes --db "$site"
$otm impact PLC-3 --db "$site"
$otm map --db "$site" --out demo/plant.svg
echo "site inventory in demo/inventory.json, plant map drawn in demo/plant.svg (database: $site)"
if [ "${OTM_DEMO_SERVE:-1}" != "0" ]; then
    echo "the console on the live plant's data (the site: otm serve --db $site):"
    exec $otm serve --db "$live" --port "${OTM_DEMO_PORT:-8080}"
fi
