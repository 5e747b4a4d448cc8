#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run the
# linters, the type checker, the layer contracts and the whole test suite.
# Installs tshark (the oracle) and PostgreSQL with apt when missing and starts
# PostgreSQL when it is not running.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v ip >/dev/null 2>&1 || need+=(iproute2)  # namespaces for the live-capture test
command -v nmap >/dev/null 2>&1 || need+=(nmap)  # the peer otm scan is compared with
command -v snmpd >/dev/null 2>&1 || need+=(snmpd)  # a real SNMP agent for the scan tests
command -v pgrep >/dev/null 2>&1 || need+=(procps)  # the demo test checks no device process is left
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # the console's browser tests (Playwright drives it)
if [ "${#need[@]}" -gt 0 ]; then
    echo "installing with apt: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && break
        sleep 1
    done
fi
# A freshly installed server asks for passwords on TCP; the tests use trust
# auth on loopback as on the team's machines.
if ! psql -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi

bash scripts/setup.sh --dev

echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy --strict"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/pytest -n 2 -q "$@"
