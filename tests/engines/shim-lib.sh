# Shared by tests/engines/containerd.sh and tests/engines/docker.sh (sourced,
# bash): engines that drive a runtime through containerd's runc v2 shim.
#
# The calling script runs twice: first on the host (sl_main), where it makes a
# temporary directory and starts itself again in a private mount and pid
# namespace; then inside (SL_INNER set), where it mounts a tmpfs on /run, starts
# its private daemons and runs every check once with runc and once with capsa.
# When the inner part ends, however it ends, the kernel kills every process of
# its pid namespace (daemons, shims, containers) and drops its mounts; the host
# part then thaws and removes the cgroups the containers left, removes the
# temporary directory and checks that nothing is left.
#
# A script defines:
#   SL_NAME              a short name (temporary directory, messages)
#   SL_PACKAGES          Debian packages it needs (installed if missing)
#   SL_CGROUP_PARENTS    cgroup directories, relative to each v1 hierarchy, that
#                        its containers' cgroups go under (removed at the end)
#   SL_CGROUP_GLOBS      optional: patterns, relative to each hierarchy, of the
#                        containers' own cgroups (systemd scopes, whose parent
#                        holds other units), treated alike
#   SL_SYSTEMD           optional, 1: the containers' cgroups are systemd's
#                        (the runtimes' systemd cgroup driver), so the script
#                        runs under tests/systemd/run, systemd as PID 1; the
#                        inner part then keeps the caller's pid namespace (a
#                        runtime hands systemd PIDs, which systemd reads in its
#                        own) and /run (/run/systemd/private); the harness's
#                        container is what ends every process and mount
#   sl_start             starts the daemons (inner part)
#   sl_stop              stops them (inner part, also on failure)
#   sl_checks RT BIN     runs the checks for one runtime, each with sl_check

sl_here=$(cd "${BASH_SOURCE[0]%/*}" && pwd -P)
SL_TOP=$(cd "$sl_here/../.." && pwd -P)
CAPSA=$SL_TOP/bin/capsa
SL_CGROUP_GLOBS=()
RUNC=/usr/sbin/runc
# Every engine command runs under this many seconds: a runtime that hangs fails
# its check instead of the whole run.
SL_TIMEOUT=${SL_TIMEOUT:-30}

sl_log() { printf '%s: %s\n' "$SL_NAME" "$*" >&2; }
sl_die() { sl_log "$*"; exit 2; }

# Installs the Debian packages that are missing. The scripts start daemons of
# their own and never use the system's; where no policy-rc.d stops invoke-rc.d
# (this machine has one that does), installing starts the system's too.
sl_need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  sl_log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends install)
  "${apt[@]}" "${missing[@]}" >/dev/null || {
    apt-get -o DPkg::Lock::Timeout=600 -qq update && "${apt[@]}" "${missing[@]}" >/dev/null
  } || sl_die "cannot install ${missing[*]}"
}

# --- host part -------------------------------------------------------------

# The v1 hierarchies (and the unified one) to look for leftover cgroups in.
sl_hierarchies() {
  local d
  for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [ -f "$d/cgroup.procs" ] && echo "${d%/}"
  done | sort -u
}

# Directories (deepest first) that the containers left under SL_CGROUP_PARENTS.
sl_cgroup_dirs() {
  local h p d
  for h in $(sl_hierarchies); do
    for p in "${SL_CGROUP_PARENTS[@]}"; do
      [ -d "$h/$p" ] && find "$h/$p" -depth -type d
    done
    for p in "${SL_CGROUP_GLOBS[@]}"; do
      # shellcheck disable=SC2086 # a pattern
      for d in "$h"/$p; do
        [ -d "$d" ] && find "$d" -depth -type d
      done
    done
  done
}

# Removes what the containers left under SL_CGROUP_PARENTS: frozen ones are
# thawed first, processes still there killed (the pid namespace is gone, so
# these are at most exiting), then the directories removed deepest first.
sl_remove_cgroups() {
  local d
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    for d in $(sl_cgroup_dirs); do
      [ -f "$d/freezer.state" ] && echo THAWED > "$d/freezer.state" 2>/dev/null
      [ -f "$d/cgroup.freeze" ] && echo 0 > "$d/cgroup.freeze" 2>/dev/null
      xargs -r kill -9 < "$d/cgroup.procs" 2>/dev/null
      rmdir "$d" 2>/dev/null
    done
    [ -z "$(sl_cgroup_dirs)" ] && return 0
    sleep 0.3
  done
  return 1
}

sl_main() {
  [ "$(id -u)" = 0 ] || sl_die "needs root"
  [ -f "$SL_TOP/target/capsa/capsa.jar" ] || sl_die "capsa is not built: make build"
  [ -x /bin/busybox ] || sl_die "no /bin/busybox: make busybox"
  sl_need_packages "${SL_PACKAGES[@]}" iproute2
  local ns=(--mount --propagation private --pid --fork --mount-proc --kill-child)
  if [ -n "${SL_SYSTEMD:-}" ]; then
    if [ "$(cat /proc/1/comm)" != systemd ] || [ ! -S /run/systemd/private ]; then
      sl_die "SL_SYSTEMD: systemd is not PID 1 here; run this under tests/systemd/run"
    fi
    ns=(--mount --propagation private)
  fi
  SL_DIR=$(mktemp -d "/tmp/capsa-$SL_NAME.XXXXXX") || exit 2
  chmod 711 "$SL_DIR"
  local t0=$SECONDS rc=0 leftover=0
  # Leftovers from an earlier run that was killed would break this one.
  sl_remove_cgroups || sl_log "cgroups left by an earlier run: $(sl_cgroup_dirs | tr '\n' ' ')"
  # In the background, so that an interrupt is handled at once: killing unshare
  # kills the namespace's first process (--kill-child), so the whole namespace.
  # (With SL_SYSTEMD no pid namespace: the harness's container is the bound.)
  SL_INNER=$SL_DIR unshare "${ns[@]}" bash "$SL_SCRIPT" "$@" &
  SL_CHILD=$!
  trap 'sl_interrupted' INT TERM
  trap 'sl_host_cleanup' EXIT
  wait "$SL_CHILD" || rc=$?
  trap - EXIT INT TERM
  sl_host_cleanup || leftover=1
  sl_log "took $((SECONDS - t0))s"
  if [ "$leftover" != 0 ]; then
    sl_log "FAIL: cleanup left something behind"
    [ "$rc" = 0 ] && rc=1
  fi
  exit "$rc"
}

sl_interrupted() {
  trap - INT TERM
  sl_log "interrupted: killing the namespace"
  kill -KILL "$SL_CHILD" 2>/dev/null
  wait "$SL_CHILD" 2>/dev/null
  exit 130
}

sl_host_cleanup() {
  local bad=0 left
  sl_remove_cgroups || { sl_log "leftover cgroups: $(sl_cgroup_dirs | tr '\n' ' ')"; bad=1; }
  if [ -n "${SL_DIR:-}" ] && [ -d "$SL_DIR" ]; then
    left=$(grep -F " $SL_DIR" /proc/self/mountinfo | cut -d' ' -f5)
    [ -n "$left" ] && { sl_log "leftover mounts in the host namespace: $left"; bad=1; }
    rm -rf "$SL_DIR" || bad=1
  fi
  # No process of ours may outlive the pid namespace; look for any that runs
  # from the temporary directory or was started with it on its command line.
  if [ -n "${SL_DIR:-}" ]; then
    local p cmd
    left=
    for p in /proc/[0-9]*; do
      [ "${p#/proc/}" = $$ ] && continue
      cmd=$( { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null) || continue
      [[ "$cmd" == *"$SL_DIR"* ]] && left+="${p#/proc/} ($cmd) "
    done
    [ -n "$left" ] && { sl_log "leftover processes: $left"; bad=1; }
  fi
  return $bad
}

# --- inner part ------------------------------------------------------------

declare -A SL_RESULT SL_SEEN
SL_ORDER=()
SL_WHY=

# sl_check RT "description" FUNCTION ARGS...: runs one check; the function
# returns 0 for a pass and may put the reason of a failure in SL_WHY.
sl_check() {
  local rt=$1 desc=$2 t0 t
  shift 2
  SL_WHY=
  t0=$(date +%s%N)
  if "$@"; then
    SL_RESULT["$rt|$desc"]=ok
    SL_WHY=
  else
    SL_RESULT["$rt|$desc"]=FAIL
  fi
  t=$((($(date +%s%N) - t0) / 100000000))
  printf '%-4s %-5s %s (%d.%ds)%s\n' "${SL_RESULT["$rt|$desc"]}" "$rt" "$desc" $((t / 10)) \
    $((t % 10)) "${SL_WHY:+: $SL_WHY}"
  [ -n "${SL_SEEN["$desc"]:-}" ] || { SL_SEEN["$desc"]=1; SL_ORDER+=("$desc"); }
  return 0
}

# sl_expect WHAT GOT WANT: compares, setting SL_WHY.
sl_expect() {
  [ "$2" = "$3" ] && return 0
  SL_WHY="$1: got $(printf '%q' "$2"), want $(printf '%q' "$3")"
  return 1
}

# sl_wait_for SECONDS COMMAND...: polls until the command succeeds.
sl_wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $end ] && return 1
    sleep 0.1
  done
}

# sl_tty COMMAND...: runs the command on a new terminal (script(1)), stdin
# empty; output without carriage returns, and without the ^@ that the
# terminal echoes for what script(1) writes on its stdin's end.
sl_tty() {
  local cmd
  cmd=$(printf '%q ' "$@")
  timeout -k 5 "$SL_TIMEOUT" script -qec "$cmd" /dev/null < /dev/null \
    | tr -d '\r\0' | sed 's/\^@//g'
  return "${PIPESTATUS[0]}"
}

# The leftover cgroups check: every container of this runtime has been removed,
# so nothing may be left under the cgroup parents but the parents themselves.
sl_no_cgroups_left() {
  local h p left=
  for h in $(sl_hierarchies); do
    for p in "$@"; do
      [ -d "$h/$p" ] && left+=$(find "$h/$p" -mindepth 1 -type d -printf '%p ')
    done
  done
  [ -z "$left" ] && return 0
  SL_WHY="left: $left"
  return 1
}

# A private containerd: root, state, socket and opt directories of its own, no
# CRI plugin (it would listen on TCP for streaming), no metrics or debug address.
# SL_DIR holds the config; $1 names the daemon's directory under it.
sl_containerd_start() {
  local d=$SL_DIR/$1
  mkdir -p "$d"
  cat > "$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
  containerd --config "$d/config.toml" > "$d/containerd.log" 2>&1 &
  echo $! > "$d/pid"
  sl_wait_for 30 ctr --address "$d/containerd.sock" version || {
    sl_log "containerd did not start:"; tail -20 "$d/containerd.log" >&2; return 1
  }
  sl_only_unix_sockets containerd "$(cat "$d/pid")"
}

# sl_only_unix_sockets NAME PID: the daemon listens on no TCP or UDP port.
sl_only_unix_sockets() {
  local inet
  inet=$(ss -Hlntup 2>/dev/null | grep "pid=$2,")
  [ -z "$inet" ] && return 0
  sl_log "$1 listens on more than its unix socket: $inet"
  return 1
}

# Stops the private containerd: every task killed and deleted first, so the
# shims exit, then the daemon itself.
sl_containerd_stop() {
  local d=$SL_DIR/$1 ns id pid
  [ -f "$d/pid" ] || return 0
  for ns in $(ctr --address "$d/containerd.sock" namespaces ls -q 2>/dev/null); do
    for id in $(ctr --address "$d/containerd.sock" -n "$ns" task ls -q 2>/dev/null); do
      timeout 20 ctr --address "$d/containerd.sock" -n "$ns" task rm -f "$id"
    done
    for id in $(ctr --address "$d/containerd.sock" -n "$ns" containers ls -q 2>/dev/null); do
      timeout 20 ctr --address "$d/containerd.sock" -n "$ns" containers rm "$id"
    done
  done
  pid=$(cat "$d/pid")
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$d/pid"
}

# Makes the image's rootfs (Debian's busybox, as tests/make-bundle makes it)
# and a tar of it in $1.
sl_rootfs_tar() {
  local out=$1 b=$SL_DIR/image-bundle
  "$SL_TOP/tests/make-bundle" "$b" plain >/dev/null || return 1
  tar -C "$b/rootfs" --numeric-owner -cf "$out" . || return 1
  rm -rf "$b"
}

sl_inner() {
  SL_DIR=$SL_INNER
  export TMPDIR=$SL_DIR/tmp
  mkdir -p "$TMPDIR" "$SL_DIR/bin"
  # Under tests/systemd/run, /run is the harness container's tmpfs already, and
  # holds systemd's socket.
  if [ -z "${SL_SYSTEMD:-}" ]; then
    mount -t tmpfs -o mode=755 tmpfs /run || sl_die "cannot mount a tmpfs on /run"
  fi
  trap 'sl_stop >/dev/null 2>&1; sl_thaw' EXIT
  sl_start || { SL_WHY="daemons did not start"; sl_stop >/dev/null 2>&1; exit 2; }
  local rt
  for rt in runc capsa; do
    sl_checks "$rt" "$(sl_bin "$rt")"
  done
  sl_stop
  sl_thaw
  trap - EXIT
  sl_tally
}

# A process in a frozen cgroup v1 does not die, not even when its pid namespace
# ends: thaw whatever a failed check left paused.
sl_thaw() {
  local d
  for d in $(sl_cgroup_dirs); do
    [ -f "$d/freezer.state" ] && echo THAWED > "$d/freezer.state" 2>/dev/null
  done
  return 0
}

# The binary the engine is given for runtime $1: runc's or capsa's own, or with
# SL_TRACE=DIR a wrapper that logs each call's arguments to DIR/calls-RT.log
# and execs it (to see what the shim asks of a runtime).
sl_bin() {
  local bin=$RUNC
  [ "$1" = capsa ] && bin=$CAPSA
  if [ -n "${SL_TRACE:-}" ]; then
    mkdir -p "$SL_TRACE" "$SL_DIR/bin"
    printf '#!/bin/sh\necho "$*" >> %q\nexec %q "$@"\n' "$SL_TRACE/calls-$1.log" "$bin" \
      > "$SL_DIR/bin/$1"
    chmod 755 "$SL_DIR/bin/$1"
    bin=$SL_DIR/bin/$1
  fi
  echo "$bin"
}

sl_tally() {
  local rt desc n m regress=()
  echo
  for rt in runc capsa; do
    n=0 m=0
    for desc in "${SL_ORDER[@]}"; do
      m=$((m + 1))
      [ "${SL_RESULT["$rt|$desc"]:-}" = ok ] && n=$((n + 1))
    done
    echo "$rt: $n/$m passed"
  done
  for desc in "${SL_ORDER[@]}"; do
    [ "${SL_RESULT["runc|$desc"]:-}" = ok ] && [ "${SL_RESULT["capsa|$desc"]:-}" != ok ] \
      && regress+=("$desc")
  done
  if [ ${#regress[@]} != 0 ]; then
    echo "passes with runc, fails with capsa:"
    printf '  %s\n' "${regress[@]}"
    return 1
  fi
  return 0
}

# sl_run "$@" from the script: host part or inner part.
sl_run() {
  SL_SCRIPT=$(cd "${0%/*}" && pwd -P)/${0##*/}
  if [ -n "${SL_INNER:-}" ]; then
    sl_inner "$@"
    exit $?
  else
    sl_main "$@"
  fi
}
