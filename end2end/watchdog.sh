#!/usr/bin/env bash
# Runs beside the end-to-end tests (scripts/test): when a Tenantry server under
# test stops answering, prints why, once per server, into the test log: whether
# its runtime still answers /healthz, whether a page that reads the catalog
# answers, and every thread's stack (gdb). A wedged server then leaves a trace
# in CI's log instead of only a list of timeouts.
# Usage: end2end/watchdog.sh PORT... (stops when its parent shell exits)
set -uo pipefail
ports=("$@")
reported=" "
probe() { curl -s -o /dev/null -m 20 -w '%{http_code}' -H "Host: $2" "http://127.0.0.1:$1$3"; }
while sleep 15; do
  for port in "${ports[@]}"; do
    [[ $reported == *" $port "* ]] && continue
    pid=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -oE 'pid=[0-9]+' | head -n1 | cut -d= -f2)
    [ -n "$pid" ] || continue
    page=$(probe "$port" "admin.localhost:$port" /console/login)
    [ "$page" = 200 ] && continue
    health=$(probe "$port" "127.0.0.1:$port" /healthz)
    {
      echo "watchdog: the server on port $port (pid $pid) answered /console/login with '${page:-nothing}' within 20 s; /healthz: '${health:-nothing}'"
      echo "watchdog: its connections: $(ss -tnH state established "sport = :$port" 2>/dev/null | wc -l) established"
      echo "watchdog: its threads:"
      "$(dirname "$0")/../scripts/thread-stacks" "$pid"
    } >&2
    reported+="$port "
  done
done
