#!/bin/bash
# shellcheck disable=SC2046 # $(run_opts ID) is split on purpose
# containerd drives capsa: Debian's containerd and ctr, with the runc v2 shim
# calling the runtime given by `ctr run --runc-binary`. Every check runs once
# with runc and once with capsa; the script fails when a check that passes with
# runc fails with capsa. Needs root; installs containerd if missing.
#   tests/engines/containerd.sh        (make test-containerd)
# SL_TRACE=DIR logs each runtime call to DIR/calls-runc.log, DIR/calls-capsa.log.
# CTR_SYSTEMD_CGROUP=1: the shim runs the runtime with systemd's cgroup manager
# (ctr run --runc-systemd-cgroup --cgroup system.slice:capsa-ctr-RT:ID, so the
# shim's SystemdCgroup option and the runtime's --systemd-cgroup): every
# container gets a transient scope, system.slice/capsa-ctr-RT-ID.scope. Needs
# systemd as PID 1: tests/engines/containerd-systemd.sh runs this script so,
# under tests/systemd/run.
set -u
. "$(cd "${0%/*}" && pwd -P)/shim-lib.sh"

SL_NAME=containerd
SL_PACKAGES=(containerd runc)
# ctr puts a container's cgroups at /<namespace>/<id>; one namespace a runtime.
SL_CGROUP_PARENTS=(capsa-ctr-runc capsa-ctr-capsa)
SYSTEMD=${CTR_SYSTEMD_CGROUP:-}
if [ -n "$SYSTEMD" ]; then
  SL_SYSTEMD=1
  SL_CGROUP_PARENTS=()
  SL_CGROUP_GLOBS=("system.slice/capsa-ctr-runc-*.scope" "system.slice/capsa-ctr-capsa-*.scope")
fi
IMAGE=docker.io/library/capsa-busybox:latest

sl_start() {
  sl_containerd_start containerd || return 1
  SOCK=$SL_DIR/containerd/containerd.sock
  STATE=$SL_DIR/containerd/state
  # The image: an OCI layout made here, one uncompressed layer with the rootfs.
  local o=$SL_DIR/oci layer config manifest
  mkdir -p "$o/blobs/sha256"
  sl_rootfs_tar "$SL_DIR/layer.tar" || return 1
  layer=$(sha256sum < "$SL_DIR/layer.tar" | cut -d' ' -f1)
  mv "$SL_DIR/layer.tar" "$o/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$layer" > "$o/config"
  config=$(sha256sum < "$o/config" | cut -d' ' -f1)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$config" "$(stat -c %s "$o/config")" "$layer" "$(stat -c %s "$o/blobs/sha256/$layer")" \
    > "$o/manifest"
  manifest=$(sha256sum < "$o/manifest" | cut -d' ' -f1)
  mv "$o/config" "$o/blobs/sha256/$config"
  mv "$o/manifest" "$o/blobs/sha256/$manifest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
    "$manifest" "$(stat -c %s "$o/blobs/sha256/$manifest")" "$IMAGE" > "$o/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$o/oci-layout"
  tar -C "$o" -cf "$SL_DIR/image.tar" . || return 1
  rm -rf "$o"
}

sl_stop() {
  sl_containerd_stop containerd
}

c() { timeout -k 5 "$SL_TIMEOUT" ctr --address "$SOCK" --namespace "$NS" "$@"; }

# The options of `ctr run` for container $1 (words without blanks: callers
# split $(run_opts ID) on purpose): the runtime, and with
# CTR_SYSTEMD_CGROUP systemd's cgroup manager and a slice:prefix:name path.
run_opts() {
  echo --runc-binary "$BIN"
  [ -n "$SYSTEMD" ] && echo --runc-systemd-cgroup --cgroup "system.slice:capsa-ctr-$RT:$1"
  return 0
}

# The cgroup of container $1, relative to each hierarchy.
cgroup_of() {
  if [ -n "$SYSTEMD" ]; then echo "system.slice/capsa-ctr-$RT-$1.scope"; else echo "$NS/$1"; fi
}

# The status column of `ctr task ls` for one task.
task_status() { c task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }

status_is() { [ "$(task_status "$1")" = "$2" ]; }

# The counter the long-running container writes, read from its rootfs.
counter() { cat "$STATE/io.containerd.runtime.v2.task/$NS/$1/rootfs/tmp/count" 2>/dev/null; }
counter_is_not() { [ "$(counter "$1")" != "$2" ]; }

t_import() {
  local out
  out=$(c images import "$SL_DIR/image.tar" 2>&1) || { SL_WHY=$out; return 1; }
  c images ls -q | grep -qx "$IMAGE" || { SL_WHY="image not listed"; return 1; }
}

t_output() {
  local out
  out=$(c run --rm $(run_opts "$RT-echo") "$IMAGE" "$RT-echo" sh -c 'echo hello from $0' box 2>&1)
  sl_expect output "$out" "hello from box"
}

t_exit() {
  local rc=0
  c run --rm $(run_opts "$RT-exit") "$IMAGE" "$RT-exit" sh -c 'exit 3' || rc=$?
  sl_expect "exit status" "$rc" 3
}

# The runtime's error reaches the user through the shim, which reads it from
# the --log file (JSON lines).
t_missing() {
  local out rc=0
  out=$(c run --rm $(run_opts "$RT-missing") "$IMAGE" "$RT-missing" /no/such/program 2>&1) || rc=$?
  [ "$rc" != 0 ] || { SL_WHY="exit status 0"; return 1; }
  grep -q '/no/such/program.*no such file or directory' <<< "$out" \
    || { SL_WHY="message: $out"; return 1; }
  c containers rm "$RT-missing" >/dev/null 2>&1
  ! c containers ls -q | grep -qx "$RT-missing" || { SL_WHY="container left"; return 1; }
}

t_stdin() {
  local out
  # One line, not cat: ctr does not close the task's stdin at the end of its own.
  out=$(echo piped in | c run --rm $(run_opts "$RT-stdin") "$IMAGE" "$RT-stdin" \
    sh -c 'read -r line; echo "$line"' 2>&1)
  sl_expect output "$out" "piped in"
}

t_tty() {
  local out rc=0
  out=$(sl_tty ctr --address "$SOCK" --namespace "$NS" run --rm --tty $(run_opts "$RT-tty") \
    "$IMAGE" "$RT-tty" sh -c 'tty; exit 4') || rc=$?
  grep -Eqx '/dev/pts/[0-9]+' <<< "$out" || { SL_WHY="tty printed $(printf '%q' "$out")"; return 1; }
  sl_expect "exit status" "$rc" 4
}

# The long-running container: ctr run in the background, a counter in
# /tmp/count every 0.1 s, exit 7 on SIGTERM; a second process that stays.
t_long_start() {
  c run $(run_opts "$RT-long") "$IMAGE" "$RT-long" \
    sh -c 'trap "exit 7" TERM; sleep 1000 & i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done' \
    < /dev/null > "$SL_DIR/$RT-long.out" 2>&1 &
  LONG_PID=$!
  sl_wait_for 20 counter "$RT-long" || { SL_WHY="no counter: $(cat "$SL_DIR/$RT-long.out")"; return 1; }
  sl_expect status "$(task_status "$RT-long")" RUNNING
}

t_exec() {
  local out rc=0
  out=$(c task exec --exec-id e1 "$RT-long" sh -c 'echo exec in $(cat /tmp/count >/dev/null && echo long); exit 5' 2>&1) || rc=$?
  sl_expect output "$out" "exec in long" && sl_expect "exit status" "$rc" 5
}

t_exec_tty() {
  local out rc=0
  out=$(sl_tty ctr --address "$SOCK" --namespace "$NS" task exec --tty --exec-id e2 "$RT-long" \
    sh -c 'tty; exit 6') || rc=$?
  # ctr may add its complaint that it could not resize a terminal that is gone.
  grep -Eqx '/dev/pts/[0-9]+' <<< "$out" || { SL_WHY="tty printed $(printf '%q' "$out")"; return 1; }
  sl_expect "exit status" "$rc" 6
}

t_ps() {
  local pid out
  pid=$(c task ls | awk -v id="$RT-long" '$1 == id { print $2 }')
  out=$(c task ps "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  awk 'NR > 1 { print $1 }' <<< "$out" | grep -qx "$pid" || { SL_WHY="pid $pid not in: $out"; return 1; }
  [ "$(awk 'NR > 1' <<< "$out" | wc -l)" -ge 2 ] || { SL_WHY="one process only: $out"; return 1; }
}

t_pause() {
  local a b out
  out=$(c task pause "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  sl_expect status "$(task_status "$RT-long")" PAUSED || return 1
  a=$(counter "$RT-long"); sleep 0.6; b=$(counter "$RT-long")
  sl_expect "counter while paused" "$b" "$a"
}

t_resume() {
  local a out
  a=$(counter "$RT-long")
  out=$(c task resume "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  sl_expect status "$(task_status "$RT-long")" RUNNING || return 1
  sl_wait_for 5 counter_is_not "$RT-long" "$a" || { SL_WHY="counter stuck at $a"; return 1; }
}

t_kill() {
  local out rc=0
  out=$(c task kill "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  wait "$LONG_PID" || rc=$?
  sl_expect "ctr run's exit status" "$rc" 7 || return 1
  out=$(c containers rm "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
}

t_kill_all() {
  local out rc=0 pid
  c run $(run_opts "$RT-killall") "$IMAGE" "$RT-killall" sh -c 'sleep 1000 & sleep 1000' \
    < /dev/null > "$SL_DIR/$RT-killall.out" 2>&1 &
  pid=$!
  sl_wait_for 20 status_is "$RT-killall" RUNNING || { SL_WHY="not running: $(cat "$SL_DIR/$RT-killall.out")"; kill "$pid"; return 1; }
  out=$(c task kill --all --signal SIGKILL "$RT-killall" 2>&1) || { SL_WHY=$out; kill "$pid"; return 1; }
  wait "$pid" || rc=$?
  sl_expect "ctr run's exit status" "$rc" 137 || return 1
  out=$(c containers rm "$RT-killall" 2>&1) || { SL_WHY=$out; return 1; }
}

t_memory() {
  local out f
  out=$(c run -d --memory-limit 67108864 $(run_opts "$RT-mem") "$IMAGE" "$RT-mem" sleep 1000 2>&1) \
    || { SL_WHY=$out; return 1; }
  f=/sys/fs/cgroup/memory/$(cgroup_of "$RT-mem")/memory.limit_in_bytes
  [ -f "$f" ] || { SL_WHY="no $f"; return 1; }
  sl_expect "$f" "$(cat "$f")" 67108864 || return 1
  [ -z "$SYSTEMD" ] && return 0
  sl_expect "systemd's MemoryLimit" "$(unit_prop MemoryLimit "$RT-mem")" 67108864
}

t_rm_force() {
  local out
  sl_expect status "$(task_status "$RT-mem")" RUNNING || return 1
  out=$(c task rm -f "$RT-mem" 2>&1) || { SL_WHY=$out; return 1; }
  [ -z "$(task_status "$RT-mem")" ] || { SL_WHY="task still listed"; return 1; }
  out=$(c containers rm "$RT-mem" 2>&1) || { SL_WHY=$out; return 1; }
  [ ! -d "/sys/fs/cgroup/memory/$(cgroup_of "$RT-mem")" ] || { SL_WHY="its memory cgroup is left"; return 1; }
  [ -z "$SYSTEMD" ] && return 0
  sl_expect "its scope" "$(systemctl is-active "capsa-ctr-$RT-$RT-mem.scope")" inactive
}

# The shim of a running task dies (SIGKILL): containerd cleans up with the
# shim's own "delete" command, which runs the runtime's `delete --force`
# without --systemd-cgroup whatever the task was created with; the task, its
# process and its cgroups (its scope) must go all the same.
t_shim_killed() {
  local out shim pid p
  out=$(c run -d $(run_opts "$RT-shim") "$IMAGE" "$RT-shim" sleep 1000 2>&1) || { SL_WHY=$out; return 1; }
  pid=$(c task ls | awk -v id="$RT-shim" '$1 == id { print $2 }')
  for p in /proc/[0-9]*; do
    out=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
    [[ "$out" == *containerd-shim-runc-v2*" -id $RT-shim "* ]] && shim=${p#/proc/}
  done
  [ -n "${shim:-}" ] || { SL_WHY="no shim found"; return 1; }
  kill -KILL "$shim"
  sl_wait_for 20 status_is "$RT-shim" "" || { SL_WHY="task still listed: $(task_status "$RT-shim")"; return 1; }
  sl_wait_for 10 eval '! kill -0 '"$pid" || { SL_WHY="its process $pid is alive"; return 1; }
  out=$(c containers rm "$RT-shim" 2>&1) || { SL_WHY=$out; return 1; }
  if [ -n "$SYSTEMD" ]; then
    sl_wait_for 10 eval '[ "$(systemctl is-active capsa-ctr-$RT-$RT-shim.scope)" = inactive ]' \
      || { SL_WHY="its scope is $(systemctl is-active "capsa-ctr-$RT-$RT-shim.scope")"; return 1; }
  fi
  # Every hierarchy (the cleanup may still be at work when the container is
  # gone from ctr's list: the scope's cpuacct, cpuset and freezer cgroups were
  # seen there for a moment, with either runtime); what is left is reported
  # and removed here, not blamed on the last check.
  sl_wait_for 10 shim_cgroups_gone && return 0
  local left h
  left=$(shim_cgroups_left)
  SL_WHY="left after 10 s: $left"
  for h in $left; do rmdir "$h"; done
  return 1
}

shim_cgroups_left() {
  local h
  for h in $(sl_hierarchies); do
    [ -d "$h/$(cgroup_of "$RT-shim")" ] && printf '%s ' "$h/$(cgroup_of "$RT-shim")"
  done
}
shim_cgroups_gone() { [ -z "$(shim_cgroups_left)" ]; }

# --- with CTR_SYSTEMD_CGROUP ----------------------------------------------------

unit_prop() { systemctl show -p "$1" --value "capsa-ctr-$RT-$2.scope"; }

# The long-running task is in its scope: an active, delegated unit of
# system.slice whose cgroup holds the task's process in every hierarchy
# systemd manages (and in the others too, where the runtime put it).
t_scope() {
  local unit=capsa-ctr-$RT-$RT-long.scope pid cg h
  sl_expect "$unit" "$(systemctl is-active "$unit")" active || return 1
  sl_expect ControlGroup "$(unit_prop ControlGroup "$RT-long")" "/system.slice/$unit" || return 1
  sl_expect Slice "$(unit_prop Slice "$RT-long")" system.slice || return 1
  sl_expect Delegate "$(unit_prop Delegate "$RT-long")" yes || return 1
  pid=$(c task ls | awk -v id="$RT-long" '$1 == id { print $2 }')
  cg=$(cat "/proc/$pid/cgroup" 2>&1) || { SL_WHY="pid $pid: $cg"; return 1; }
  for h in memory pids devices cpu name=systemd freezer ""; do
    sl_expect "the task's ${h:-unified} cgroup" "$(awk -F: -v h="$h" '$2 == h { print $3 }' <<< "$cg")" \
      "/system.slice/$unit" || return 1
  done
  grep -qx "$pid" "/sys/fs/cgroup/systemd/system.slice/$unit/cgroup.procs" \
    || { SL_WHY="pid $pid not in the scope's cgroup.procs"; return 1; }
}

# Every container of this runtime is gone: no scope of its prefix is loaded,
# and no cgroup of one is left in any hierarchy.
t_no_scopes_left() {
  local units left h d
  units=$(systemctl list-units --all --plain --no-legend "capsa-ctr-$RT-*" 2>&1)
  [ -z "$units" ] || { SL_WHY="units: $units"; return 1; }
  for h in $(sl_hierarchies); do
    for d in "$h"/system.slice/capsa-ctr-"$RT"-*.scope; do
      [ -d "$d" ] && left+="$d "
    done
  done
  [ -z "${left:-}" ] || { SL_WHY="left: $left"; return 1; }
}

sl_checks() {
  RT=$1 BIN=$2 NS=capsa-ctr-$1
  sl_check "$RT" "image import" t_import
  sl_check "$RT" "ctr run --rm: output" t_output
  sl_check "$RT" "ctr run --rm: exit status 3" t_exit
  sl_check "$RT" "ctr run --rm: stdin" t_stdin
  sl_check "$RT" "ctr run of a missing program: the runtime's error" t_missing
  sl_check "$RT" "ctr run --tty: a tty, exit status" t_tty
  sl_check "$RT" "ctr run: long-running task starts" t_long_start
  [ -n "$SYSTEMD" ] && sl_check "$RT" "the task is in its systemd scope" t_scope
  sl_check "$RT" "ctr task exec: output, exit status" t_exec
  sl_check "$RT" "ctr task exec --tty" t_exec_tty
  sl_check "$RT" "ctr task ps" t_ps
  sl_check "$RT" "ctr task pause: PAUSED, counter stops" t_pause
  sl_check "$RT" "ctr task resume: RUNNING, counter goes on" t_resume
  sl_check "$RT" "ctr task kill: SIGTERM reaches the task" t_kill
  sl_check "$RT" "ctr task kill --all SIGKILL: 137" t_kill_all
  sl_check "$RT" "ctr run --memory-limit: memory.limit_in_bytes" t_memory
  sl_check "$RT" "ctr task rm -f of a running task" t_rm_force
  sl_check "$RT" "the shim killed: the task and its cgroups go" t_shim_killed
  if [ -n "$SYSTEMD" ]; then
    sl_check "$RT" "no scopes or cgroups left" t_no_scopes_left
  else
    sl_check "$RT" "no cgroups left" sl_no_cgroups_left "$NS"
  fi
}

sl_run "$@"
