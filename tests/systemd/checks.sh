#!/bin/sh
# The checks of capsa's systemd cgroup driver (--systemd-cgroup), run by
# tests/systemd/run under a real systemd as PID 1. Each check prints "ok" or
# "FAIL"; the exit status is the number of failures (0: all passed).
set -u
capsa=${CAPSA:?CAPSA must name bin/capsa}
repo=${CAPSA_REPO:?}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# expect DESCRIPTION WANT GOT
expect() {
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; fi
}
# contains DESCRIPTION NEEDLE HAYSTACK
contains() {
  case $3 in *"$2"*) ok "$1" ;; *) bad "$1: '$2' not in: $3" ;; esac
}
sd() { "$capsa" --systemd-cgroup "$@"; }
show() { systemctl show -p "$1" --value "$2"; }
cleanup() {
  for c in t1 t2 t3 t4 t5; do "$capsa" delete -f "$c" >/dev/null 2>&1; done
}
trap cleanup EXIT

b=/tmp/bundle
"$repo/tests/make-bundle" "$b" >/dev/null || { echo "FAIL make-bundle"; exit 1; }
# config NAME JQ-FILTER: a variant of the bundle's config, without a cgroup
# namespace so that /proc/self/cgroup shows the host's paths.
config() {
  jq ".process.terminal = false
    | .linux.namespaces |= map(select(.type != \"cgroup\"))
    | $2" "$b/config.json" > "$b/config.json.$1"
}
use() { cp "$b/config.json.$1" "$b/config.json"; }
config sleeper '.process.args = ["sleep", "1000"]
  | .linux.resources = {memory: {limit: 67108864}, pids: {limit: 50},
      cpu: {shares: 512, quota: 100000, period: 200000}}'
config cat '.process.args = ["cat", "/proc/self/cgroup"]
  | .linux.cgroupsPath = "machine-test.slice:pre:t3"'
config exit3 '.process.args = ["sh", "-c", "exit 3"]'
config dup '.process.args = ["true"] | .linux.cgroupsPath = ":capsa:t1"'
config oom '.process.args = ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]
  | .linux.resources = {memory: {limit: 16777216}}'
config true '.process.args = ["true"]'

mem=/sys/fs/cgroup/memory/system.slice/capsa-t1.scope
pids=/sys/fs/cgroup/pids/system.slice/capsa-t1.scope
[ -d /sys/fs/cgroup/memory ] || mem=/sys/fs/cgroup/system.slice/capsa-t1.scope
[ -d /sys/fs/cgroup/pids ] || pids=$mem
v1=false
[ -d /sys/fs/cgroup/memory ] && v1=true

# --- a container in the default scope -------------------------------------------------
use sleeper
if sd create --bundle "$b" t1; then ok "create --systemd-cgroup"; else bad "create --systemd-cgroup"; fi
expect "the scope is active" active "$(systemctl is-active capsa-t1.scope)"
expect "the scope's cgroup" /system.slice/capsa-t1.scope "$(show ControlGroup capsa-t1.scope)"
expect "the scope is in system.slice" system.slice "$(show Slice capsa-t1.scope)"
expect "the scope is delegated" yes "$(show Delegate capsa-t1.scope)"
pid=$("$capsa" state t1 | jq .pid)
contains "the container process is in the scope" "/system.slice/capsa-t1.scope" \
  "$(cat /proc/"$pid"/cgroup)"
expect "the container process is in the scope's cgroup.procs" "$pid" "$(cat "$mem/cgroup.procs")"
if $v1; then
  expect "memory.limit_in_bytes" 67108864 "$(cat "$mem/memory.limit_in_bytes")"
  expect "systemd's MemoryLimit mirrors it" 67108864 "$(show MemoryLimit capsa-t1.scope)"
  expect "systemd's CPUShares mirrors cpu.shares" 512 "$(show CPUShares capsa-t1.scope)"
  contains "devices.list allows /dev/null" "c 1:3 rwm" "$(cat /sys/fs/cgroup/devices/system.slice/capsa-t1.scope/devices.list)"
else
  expect "memory.max" 67108864 "$(cat "$mem/memory.max")"
  expect "systemd's MemoryMax mirrors it" 67108864 "$(show MemoryMax capsa-t1.scope)"
fi
expect "pids.max" 50 "$(cat "$pids/pids.max")"
expect "systemd's TasksMax mirrors it" 50 "$(show TasksMax capsa-t1.scope)"
expect "systemd's CPU quota mirrors quota/period" 500ms "$(show CPUQuotaPerSecUSec capsa-t1.scope)"
expect "systemd's DevicePolicy" strict "$(show DevicePolicy capsa-t1.scope)"

# systemd rewrites its controllers' files from the unit's properties when it
# realizes the unit again: the limits must survive a daemon-reload.
systemctl daemon-reload
if $v1; then
  expect "memory limit after daemon-reload" 67108864 "$(cat "$mem/memory.limit_in_bytes")"
  devices=$(cat /sys/fs/cgroup/devices/system.slice/capsa-t1.scope/devices.list)
  case $devices in
    *"a *:* rwm"*) bad "devices after daemon-reload: systemd allowed every device: $devices" ;;
    *"c 1:3 rwm"*) ok "devices after daemon-reload" ;;
    *) bad "devices after daemon-reload: $devices" ;;
  esac
else
  expect "memory limit after daemon-reload" 67108864 "$(cat "$mem/memory.max")"
fi
expect "pids.max after daemon-reload" 50 "$(cat "$pids/pids.max")"

"$capsa" start t1 && ok "start" || bad "start"
expect "running" running "$("$capsa" state t1 | jq -r .status)"
if sd update --memory 128M --pids-limit 60 t1; then ok "update"; else bad "update"; fi
if $v1; then
  expect "update wrote the memory limit" 134217728 "$(cat "$mem/memory.limit_in_bytes")"
  expect "update set MemoryLimit" 134217728 "$(show MemoryLimit capsa-t1.scope)"
else
  expect "update wrote the memory limit" 134217728 "$(cat "$mem/memory.max")"
  expect "update set MemoryMax" 134217728 "$(show MemoryMax capsa-t1.scope)"
fi
expect "update set TasksMax" 60 "$(show TasksMax capsa-t1.scope)"
sd update --cpu-quota 50000 t1 || bad "update --cpu-quota"
expect "a quota alone is a share of the container's period" 250ms \
  "$(show CPUQuotaPerSecUSec capsa-t1.scope)"
# The hierarchies systemd does not manage (v1 freezer, cpuset, ...) are capsa's.
"$capsa" pause t1 && ok "pause" || bad "pause"
expect "paused" paused "$("$capsa" state t1 | jq -r .status)"
"$capsa" resume t1 && ok "resume" || bad "resume"
expect "running again" running "$("$capsa" state t1 | jq -r .status)"

# --- a second container may not take a scope that exists --------------------------------
use dup
err=$(sd create --bundle "$b" t2 2>&1) && bad "a duplicate scope was accepted" ||
  contains "a duplicate scope is refused" "capsa-t1.scope exists already" "$err"
"$capsa" state t2 >/dev/null 2>&1 && bad "the refused container was left behind" ||
  ok "the refused container left nothing"
expect "the refused container left the other's scope alone" active \
  "$(systemctl is-active capsa-t1.scope)"
expect "... and its cgroup" "$pid" "$(cat "$mem/cgroup.procs")"

# --- delete stops the scope --------------------------------------------------------------
"$capsa" --systemd-cgroup delete -f t1 && ok "delete -f" || bad "delete -f"
expect "the scope is gone after delete" inactive "$(systemctl is-active capsa-t1.scope)"
left=$(ls -d /sys/fs/cgroup/*/system.slice/capsa-t1.scope /sys/fs/cgroup/system.slice/capsa-t1.scope 2>/dev/null)
expect "its cgroup is gone from every hierarchy" "" "$left"

# --- a slice:prefix:name path, and run's exit status ---------------------------------------
use cat
out=$(sd run --bundle "$b" t3 2>&1)
contains "run in a nested slice" "/machine.slice/machine-test.slice/pre-t3.scope" "$out"
expect "the scope is gone after run" inactive "$(systemctl is-active pre-t3.scope)"
use exit3
sd run --bundle "$b" t4
expect "run exits with the container's status" 3 $?

# --- an OOM kill leaves a scope failed (systemd < 253); the name is free again -----
use oom
sd run --bundle "$b" t5 >/dev/null 2>&1
expect "an OOM-killed container's status" 137 $?
expect "its scope is not left loaded and failed" inactive "$(systemctl is-active capsa-t5.scope)"
use true
sd run --bundle "$b" t5
expect "a new container of the same name runs" 0 $?

echo "systemd checks: $pass passed, $fail failed"
exit "$fail"
