#!/bin/sh
# Checks the harness itself: tests/systemd/run tests/systemd/smoke.sh
# systemd is PID 1 and running, a transient scope started the way capsa's
# systemd driver will (StartTransientUnit on /run/systemd/private, as
# systemd-run --scope does) lands in /system.slice/probe.scope, and capsa runs
# a nested busybox container (cgroupfs driver) in here.
fail=0
check() { # WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected <$2>, got <$3>"; fail=1; fi
}

check "PID 1" systemd "$(cat /proc/1/comm)"
check "is-system-running" running "$(systemctl is-system-running)"

cg=$(systemd-run --quiet --scope -p Delegate=yes --slice=system.slice --unit=probe \
  cat /proc/self/cgroup)
echo "probe.scope's /proc/self/cgroup:"; echo "$cg"
for h in memory pids name=systemd ""; do
  check "probe.scope in ${h:-the unified hierarchy}" /system.slice/probe.scope \
    "$(echo "$cg" | awk -F: -v h="$h" '$2 == h {print $3}')"
done

d=$(mktemp -d /tmp/nested.XXXXXX)
"$CAPSA_REPO/tests/make-bundle" "$d/b" demo >/dev/null
# shellcheck disable=SC2016 # expanded in the nested container
sed -i 's|"sh", "-c", ".*"|"sh", "-c", "echo nested: $(cat /proc/1/comm) $(hostname)"|' "$d/b/config.json"
check "nested capsa run" "nested: sh capsa-demo" "$("$CAPSA" run --bundle "$d/b" nested 2>&1)"
check "nested container deleted" "" "$("$CAPSA" list -q 2>&1)"
rm -rf "$d"
exit $fail
