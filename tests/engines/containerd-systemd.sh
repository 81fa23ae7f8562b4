#!/bin/bash
# tests/engines/containerd.sh with systemd's cgroup manager: containerd's runc
# v2 shim runs runc, then capsa, with SystemdCgroup (ctr run
# --runc-systemd-cgroup --cgroup system.slice:capsa-ctr-RT:ID, the runtime
# called with --systemd-cgroup), under a real systemd as PID 1 (this host's init
# is not systemd): tests/systemd/run boots one in a capsa container and runs
# the checks as its service. Fails when a check that passes with runc fails
# with capsa.
#   tests/engines/containerd-systemd.sh [--trace]
# --trace prints each runtime call (SL_TRACE) after the tally.
# CAPSA_SYSTEMD_TIMEOUT (default here 600) bounds the whole run.
set -u
if [ "$0" != /run/capsa-test/script ]; then
  # On the host.
  here=$(cd "${0%/*}" && pwd -P)
  # Inside, the root is read-only: what containerd.sh would install, now.
  if ! command -v containerd >/dev/null || ! command -v runc >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends containerd runc >/dev/null 2>&1 || {
      apt-get update -qq && apt-get install -y -qq --no-install-recommends containerd runc \
        >/dev/null
    } || { echo "containerd-systemd: cannot install containerd and runc" >&2; exit 1; }
  fi
  export CAPSA_SYSTEMD_TIMEOUT=${CAPSA_SYSTEMD_TIMEOUT:-600}
  exec "$here/../systemd/run" "$here/containerd-systemd.sh" "$@"
fi
# Inside, as the harness's capsa-test.service.
export CTR_SYSTEMD_CGROUP=1
trace=
if [ "${1:-}" = --trace ]; then
  trace=/tmp/capsa-ctr-trace
  rm -rf "$trace"
  export SL_TRACE=$trace
fi
rc=0
"$CAPSA_REPO/tests/engines/containerd.sh" || rc=$?
if [ -n "$trace" ]; then
  for f in "$trace"/calls-*.log; do
    [ -f "$f" ] || continue
    echo "--- ${f##*/} ---"
    cat "$f"
  done
  rm -rf "$trace"
fi
exit $rc
