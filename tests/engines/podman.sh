#!/bin/bash
# podman drives capsa: every check runs once with runc and once with capsa as
# podman's --runtime, and prints ok/FAIL per check and a tally per runtime.
#   tests/engines/podman.sh            (as root; make test-podman)
#   PODMAN_CHECKS="exit-code run-it" tests/engines/podman.sh   only these checks
#   PODMAN_RUNTIMES="capsa" ...        only this runtime (runc, capsa)
#   PODMAN_CAPSA_JSON=0 ...            capsa left out of runtime_supports_json
# Exits non-zero when a check that passes with runc fails with capsa (or, with
# no runc on the host, when any check fails with capsa).
#
# Podman runs with configuration of its own only: containers.conf,
# storage.conf and registries.conf in a temporary directory (CONTAINERS_CONF,
# CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF), storage on a tmpfs,
# and a private mount namespace whose /run is a tmpfs: podman 4.3 drops
# --runtime-flag root in its cleanup calls, so the runtimes keep their state
# under their default roots (/run/runc, /run/capsa) of that private /run. The
# containers' cgroups go under a parent of this run's own name, removed at
# the end. The image is imported from a tar of Debian's busybox-static.
set -u
here=$(cd "${0%/*}" && pwd -P)
repo=${here%/tests/engines}
capsa=$repo/bin/capsa

if [ "${CAPSA_PODMAN_INNER:-}" != 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "podman.sh: podman's containers need root" >&2
    exit 2
  fi
  # podman and conmon; catatonit for --init; crun and runc are peers that
  # come along with podman (runc is the reference here).
  missing=
  for pkg in podman conmon catatonit runc; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
      missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    echo "podman.sh: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends $missing \
      >/dev/null 2>&1 || {
      apt-get update -qq -o DPkg::Lock::Timeout=300 &&
        apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends $missing \
          >/dev/null
    } || { echo "podman.sh: cannot install$missing" >&2; exit 2; }
  fi
  "$repo/tests/need-busybox" || exit 2
  if [ ! -f "$repo/target/capsa/capsa.jar" ]; then
    echo "podman.sh: capsa is not built: run make build" >&2
    exit 2
  fi
  work=$(mktemp -d /tmp/capsa-podman.XXXXXX) || exit 2
  # podman 4.3 keeps a blob-info cache in /var/lib/containers/cache whatever
  # graphroot says: the namespace gets a tmpfs there, on a directory made for
  # it if there is none (and removed after).
  made_varlib=
  if [ ! -e /var/lib/containers ]; then
    mkdir -p /var/lib/containers && made_varlib=1
  fi
  cgparent=capsa-podman-${work##*.}
  # Kills what is left in this run's cgroups (by pid) and removes them.
  outer_cleanup() {
    local d left=
    for d in /sys/fs/cgroup/*/"$cgparent"; do
      [ -d "$d" ] || continue
      find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
        kill -9 "$pid" 2>/dev/null
      done
    done
    for d in /sys/fs/cgroup/*/"$cgparent"; do
      [ -d "$d" ] || continue
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        [ -d "$d" ] || break
        sleep 0.2
      done
      [ -d "$d" ] && left="$left $d"
    done
    [ -n "$left" ] && echo "podman.sh: cgroups left behind:$left" >&2
    rm -rf "$work"
    [ -n "$made_varlib" ] && rmdir /var/lib/containers
  }
  trap outer_cleanup EXIT
  trap 'exit 130' INT TERM
  start=$(date +%s)
  CAPSA_PODMAN_INNER=1 CAPSA_PODMAN_WORK=$work CAPSA_PODMAN_CGPARENT=$cgparent \
    unshare -m --propagation private -- bash "$0" "$@"
  rc=$?
  echo "podman.sh: $(( $(date +%s) - start ))s"
  exit $rc
fi

# ---- inside the private mount namespace ----
W=$CAPSA_PODMAN_WORK
CGP=/$CAPSA_PODMAN_CGPARENT
IMG=localhost/capsa-busybox:test
mount -t tmpfs -o mode=0755 tmpfs /run || exit 2
mount -t tmpfs -o mode=0700 tmpfs "$W" || exit 2
mount -t tmpfs -o mode=0700 tmpfs /var/lib/containers || exit 2
mkdir -p "$W/tmp" "$W/net" "$W/storage" "$W/runroot" "$W/out"
# conmon writes files such as "oom" to its working directory, podman's.
cd "$W" || exit 2

# PODMAN_CAPSA_JSON=0: podman reads capsa's errors from stderr, as it does
# for a runtime it does not know.
CAPSA_JSON=', "capsa"'
[ "${PODMAN_CAPSA_JSON:-1}" = 0 ] && CAPSA_JSON=
cat > "$W/containers.conf" <<EOF
[containers]
netns = "none"
# The host lacks CAP_SYS_RESOURCE: podman's default limits are above the hard ones.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$W/events.log"
tmp_dir = "$W/tmp"
static_dir = "$W/storage/libpod"
volume_path = "$W/storage/volumes"
image_copy_tmp_dir = "$W/tmp"
# As for runc: --log-format json --log FILE on create and exec.
runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun"${CAPSA_JSON}]

[engine.runtimes]
capsa = ["$capsa"]

[network]
network_config_dir = "$W/net"
EOF
cat > "$W/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$W/storage"
runroot = "$W/runroot"
EOF
cat > "$W/registries.conf" <<EOF
unqualified-search-registries = []
EOF
export CONTAINERS_CONF=$W/containers.conf CONTAINERS_STORAGE_CONF=$W/storage.conf \
  CONTAINERS_REGISTRIES_CONF=$W/registries.conf
export TMPDIR=$W/tmp

runc_path=$(command -v runc || true)
RUNTIMES=()
for name in ${PODMAN_RUNTIMES:-runc capsa}; do
  case $name in
    runc) [ -n "$runc_path" ] && RUNTIMES+=("runc=$runc_path") ||
      echo "podman.sh: no runc on this host: capsa alone" >&2 ;;
    capsa) RUNTIMES+=("capsa=$capsa") ;;
    *) echo "podman.sh: unknown runtime $name" >&2; exit 2 ;;
  esac
done

inner_cleanup() {
  local r
  for r in "${RUNTIMES[@]}"; do
    timeout -k 5 60 podman --runtime "${r#*=}" rm -af -t 0 >/dev/null 2>&1
  done
  timeout -k 5 60 podman rmi -af >/dev/null 2>&1
  # Storage and the runtimes' state are on tmpfs mounts of this namespace:
  # they go when its last process does.
}
trap inner_cleanup EXIT

# The image: Debian's busybox-static as the whole userland (tests/make-bundle).
"$repo/tests/make-bundle" "$W/bundle" >/dev/null || exit 2
tar -C "$W/bundle/rootfs" -c . | podman import -q --change 'CMD ["sh"]' - "$IMG" >/dev/null ||
  { echo "podman.sh: podman import failed" >&2; exit 2; }

# ---- helpers: RT is the runtime's path, RN its name ----
pm() { timeout -k 5 60 podman --runtime "$RT" "$@"; }
prun() { pm run --cgroup-parent "$CGP" "$@"; }
# Runs a command line under script(1), so that podman has a terminal; stdin
# is fed through it.
interactive() {
  local cmd
  cmd=$(printf '%q ' timeout -k 5 60 podman --runtime "$RT" "$@")
  script -qec "$cmd" /dev/null
}
why=
# expect RC REGEX CMD...: CMD exits RC ("any" for any) and its output (stdout
# and stderr) matches the extended REGEX somewhere.
expect() {
  local want_rc=$1 re=$2 out rc
  shift 2
  out=$("$@" 2>&1)
  rc=$?
  printf '%s\n' "$out" | tee "$W/last"
  if [ "$want_rc" != any ] && [ "$rc" != "$want_rc" ]; then
    why="exit $rc, wanted $want_rc: $*"
    return 1
  fi
  if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then
    why="output does not match /$re/: $*"
    return 1
  fi
}
# rx TEXT: TEXT as an extended regular expression that matches it literally
rx() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }
# eq WHAT GOT WANT
eq() {
  [ "$2" = "$3" ] && return 0
  why="$1: got '$2', wanted '$3'"
  return 1
}
state() { pm inspect -f '{{.State.Status}}' "$1" 2>&1; }
counter() { cat "$W/vol-$RN/n" 2>/dev/null; }
# waits up to 5s for COMMAND to succeed
waitfor() {
  local i
  for i in $(seq 50); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
logs_have() { pm logs "$1" 2>&1 | grep -q -- "$2"; }
advanced() { local a b; a=$(counter); sleep 0.4; b=$(counter); [ -n "$a" ] && [ "$b" != "$a" ]; }

# ---- the checks, in order; later ones use the container "run-d" starts ----
CHECKS=(
  version by-name default-runtime run-rm exit-code exit-127 exit-126 stdin run-it
  run-d logs exec exec-exit exec-env-user exec-detach exec-it top stats kill-usr1
  pause unpause stop start restart kill rm-f
  memory memory-oom pids-limit cpus default-caps cap-drop-all cap-add user
  read-only volume volume-ro env workdir init seccomp seccomp-unconfined ulimits hostname
  privileged device pid-host ipc-uts-host tmpfs shm-size sysctl no-new-privileges group-add
  cgroupns-private
)
DETACHED=""   # name of the long-running container

c_version() {
  local out
  out=$(pm info --format '{{.Host.OCIRuntime.Path}} {{.Host.OCIRuntime.Version}}' 2>&1)
  printf '%s\n' "$out"
  expect 0 "^$RT $RN version [0-9]" printf '%s\n' "$out"
}
# same_file WHAT PATH: PATH is the runtime RT (or a link to it)
same_file() {
  [ "$(readlink -f "$2")" = "$(readlink -f "$RT")" ] && return 0
  why="$1: $2 is not $RT"
  return 1
}
c_by-name() {
  # The runtime named in [engine.runtimes] (capsa) or known to podman (runc)
  same_file "podman --runtime $RN" \
    "$(podman --runtime "$RN" info --format '{{.Host.OCIRuntime.Path}}' 2>&1)" || return 1
  expect 0 '^by-name$' podman --runtime "$RN" run --rm --cgroup-parent "$CGP" "$IMG" echo by-name
}
c_default-runtime() {
  # runtime = "NAME" in containers.conf, and no --runtime at all
  sed "s/^\[engine\]\$/&\nruntime = \"$RN\"/" "$CONTAINERS_CONF" > "$W/containers-$RN.conf"
  same_file "runtime = \"$RN\"" "$(CONTAINERS_CONF=$W/containers-$RN.conf \
    podman info --format '{{.Host.OCIRuntime.Path}}' 2>&1)" || return 1
  CONTAINERS_CONF=$W/containers-$RN.conf expect 0 "^$RN default$" \
    podman run --rm --cgroup-parent "$CGP" "$IMG" echo "$RN" default
}
c_run-rm() {
  expect 0 '^hello$' prun --rm --name "$RN-rm" "$IMG" echo hello || return 1
  ! pm ps -a --format '{{.Names}}' | grep -qx "$RN-rm" || { why="$RN-rm is still there"; return 1; }
}
c_exit-code() { expect 3 '' prun --rm "$IMG" sh -c 'exit 3'; }
c_exit-127() { expect 127 'not found|no such file' prun --rm "$IMG" /no/such/command; }
c_exit-126() { expect 126 'ermission denied' prun --rm "$IMG" /etc/passwd; }
c_stdin() { expect 0 '^piped-in$' sh -c "echo piped-in | $(printf '%q ' podman --runtime "$RT" run --rm -i --cgroup-parent "$CGP" "$IMG" cat)"; }
c_run-it() {
  printf 'tty\necho hi-$((6*7))\nexit 5\n' | expect 5 '^/dev/pts/0' interactive run -it --rm --cgroup-parent "$CGP" "$IMG" sh ||
    return 1
  printf 'tty\necho hi-$((6*7))\nexit 5\n' | expect 5 'hi-42' interactive run -it --rm --cgroup-parent "$CGP" "$IMG" sh
}
c_run-d() {
  DETACHED=$RN-d
  rm -rf "$W/vol-$RN"
  mkdir -p "$W/vol-$RN"
  # Counts while it runs (the counter lives on the host), says when it gets
  # SIGUSR1, exits 7 on SIGTERM.
  expect 0 '^[0-9a-f]{64}$' prun -d --name "$DETACHED" -v "$W/vol-$RN:/data" "$IMG" sh -c \
    'trap "echo got-usr1" USR1; trap "echo got-term; exit 7" TERM; echo started
     i=0; while :; do i=$((i+1)); echo $i > /data/n; sleep 0.1; done' || return 1
  eq state "$(state "$DETACHED")" running || return 1
  waitfor advanced || { why="the counter does not advance"; return 1; }
}
c_logs() {
  waitfor logs_have "$DETACHED" started
  expect 0 '^started$' pm logs "$DETACHED"
}
c_exec() { expect 0 '^in-2 [0-9]+$' pm exec "$DETACHED" sh -c 'echo in-$((1+1)) $$'; }
c_exec-exit() { expect 4 '' pm exec "$DETACHED" sh -c 'exit 4'; }
c_exec-env-user() {
  expect 0 '^1000 /tmp B$' pm exec --user 1000:1000 -w /tmp -e A=B "$DETACHED" \
    sh -c 'echo $(id -u) $(pwd) $A'
}
c_exec-detach() {
  rm -f "$W/vol-$RN/bg"
  expect 0 '' pm exec -d "$DETACHED" sh -c 'echo from-exec-d > /data/bg' || return 1
  waitfor grep -q from-exec-d "$W/vol-$RN/bg" || { why="exec -d did not write /data/bg"; return 1; }
}
c_exec-it() {
  printf 'tty\nexit 6\n' | expect 6 '^/dev/pts/[0-9]' interactive exec -it "$DETACHED" sh
}
c_top() { expect 0 'while :; do' pm top "$DETACHED"; }
c_stats() {
  expect 0 "^$DETACHED [0-9.]+[kMG]?i?B / [0-9.]+[kMGTPE]i?B [0-9]+\$" pm stats --no-stream \
    --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$DETACHED"
}
c_kill-usr1() {
  expect 0 "" pm kill -s USR1 "$DETACHED" || return 1
  waitfor logs_have "$DETACHED" got-usr1 || { why="no got-usr1 in the logs"; return 1; }
  eq state "$(state "$DETACHED")" running
}
c_pause() {
  expect 0 "" pm pause "$DETACHED" || return 1
  eq state "$(state "$DETACHED")" paused || return 1
  expect 0 "^$DETACHED Paused\$" pm ps -a --format '{{.Names}} {{.Status}}' || return 1
  local a b
  a=$(counter)
  sleep 0.6
  b=$(counter)
  eq "counter while paused" "$b" "$a"
}
c_unpause() {
  expect 0 "" pm unpause "$DETACHED" || return 1
  eq state "$(state "$DETACHED")" running || return 1
  waitfor advanced || { why="the counter does not advance"; return 1; }
}
c_stop() {
  local t0=$SECONDS
  expect 0 "" pm stop -t 20 "$DETACHED" || return 1
  [ $((SECONDS - t0)) -lt 15 ] || { why="stop waited for the timeout: SIGTERM not seen"; return 1; }
  eq state "$(state "$DETACHED")" exited || return 1
  eq "exit code" "$(pm inspect -f '{{.State.ExitCode}}' "$DETACHED")" 7 || return 1
  expect 0 got-term pm logs "$DETACHED"
}
c_start() {
  expect 0 "" pm start "$DETACHED" || return 1
  eq state "$(state "$DETACHED")" running || return 1
  waitfor advanced || { why="the counter does not advance"; return 1; }
  expect 0 "" pm exec "$DETACHED" true
}
c_restart() {
  local before after
  before=$(pm inspect -f '{{.State.Pid}}' "$DETACHED")
  expect 0 "" pm restart -t 20 "$DETACHED" || return 1
  after=$(pm inspect -f '{{.State.Pid}}' "$DETACHED")
  eq state "$(state "$DETACHED")" running || return 1
  [ "$after" != "$before" ] && [ "$after" != 0 ] || { why="pid $before -> $after"; return 1; }
  waitfor advanced || { why="the counter does not advance"; return 1; }
}
c_kill() {
  expect 0 "" pm kill -s KILL "$DETACHED" || return 1
  expect 0 '^137$' pm wait "$DETACHED" || return 1
  eq state "$(state "$DETACHED")" exited
}
c_rm-f() {
  expect 0 "" pm start "$DETACHED" || return 1
  eq state "$(state "$DETACHED")" running || return 1
  local id
  id=$(pm inspect -f '{{.Id}}' "$DETACHED")
  expect 0 "" pm rm -f -t 2 "$DETACHED" || return 1
  ! pm ps -a --format '{{.Names}}' | grep -qx "$DETACHED" ||
    { why="$DETACHED is still there"; return 1; }
  # and the runtime forgot it
  if "$RT" list 2>/dev/null | grep -q "^$id"; then why="$RN list still has $id"; return 1; fi
}
c_memory() {
  expect 0 '^67108864$' prun --rm --memory 64m "$IMG" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
}
c_memory-oom() {
  expect 137 '' prun --rm --memory 32m "$IMG" sh -c \
    'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
}
c_pids-limit() {
  expect 0 '^42$' prun --rm --pids-limit 42 "$IMG" cat /sys/fs/cgroup/pids/pids.max
}
c_cpus() {
  expect 0 '^50000 100000$' prun --rm --cpus 0.5 "$IMG" \
    sh -c 'echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us)'
}
# podman's default capabilities: CHOWN DAC_OVERRIDE FOWNER FSETID KILL
# NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT NET_RAW MKNOD AUDIT_WRITE
c_default-caps() { expect 0 'CapEff:\s00000000a80425fb' prun --rm "$IMG" cat /proc/self/status; }
c_cap-drop-all() {
  expect 0 'CapEff:\s0000000000000000' prun --rm --cap-drop ALL "$IMG" cat /proc/self/status ||
    return 1
  expect 0 'CapBnd:\s0000000000000000' prun --rm --cap-drop ALL "$IMG" cat /proc/self/status
}
c_cap-add() {
  # CHOWN is bit 0, NET_ADMIN bit 12
  expect 0 'CapEff:\s0000000000001001' prun --rm --cap-drop ALL --cap-add CHOWN \
    --cap-add NET_ADMIN "$IMG" cat /proc/self/status || return 1
  # chown wants CAP_CHOWN alone (/tmp is writable by anyone)
  expect 0 '^5 5$' prun --rm --cap-drop ALL --cap-add CHOWN "$IMG" \
    sh -c 'touch /tmp/f && chown 5:5 /tmp/f && stat -c "%u %g" /tmp/f'
}
c_user() {
  expect 0 '^uid=1000\(1000\) gid=1000\(1000\)' prun --rm --user 1000:1000 "$IMG" id || return 1
  expect 1 'Permission denied' prun --rm --user 1000:1000 "$IMG" touch /root/f
}
c_read-only() {
  expect 1 'Read-only file system' prun --rm --read-only "$IMG" touch /f || return 1
  expect 0 '^tmp-ok$' prun --rm --read-only "$IMG" sh -c 'touch /tmp/f && echo tmp-ok'
}
c_volume() {
  local v=$W/vol-$RN-v
  mkdir -p "$v"
  echo from-host > "$v/f"
  expect 0 '^from-host$' prun --rm -v "$v:/data" "$IMG" sh -c 'cat /data/f; echo from-ctr > /data/g' ||
    return 1
  eq "file written in the container" "$(cat "$v/g" 2>&1)" from-ctr
}
c_volume-ro() {
  local v=$W/vol-$RN-v
  mkdir -p "$v"
  expect 1 'Read-only file system' prun --rm -v "$v:/data:ro" "$IMG" sh -c 'echo x > /data/h' ||
    return 1
  [ ! -e "$v/h" ] || { why="the container wrote a read-only volume"; return 1; }
}
c_env() {
  expect 0 '^bar\|a b c$' prun --rm -e FOO=bar -e 'BAZ=a b c' "$IMG" sh -c 'echo "$FOO|$BAZ"'
}
c_workdir() { expect 0 '^/tmp$' prun --rm -w /tmp "$IMG" pwd; }
c_init() {
  expect 0 '^1=/run/podman-init -- sh' prun --rm --init "$IMG" \
    sh -c 'echo 1=$(tr "\0" " " </proc/1/cmdline); echo me=$$' || return 1
  expect 0 'me=([2-9]|[1-9][0-9]+)$' prun --rm --init "$IMG" sh -c 'echo me=$$'
}
c_seccomp() {
  expect 0 'Seccomp:\s2' prun --rm "$IMG" cat /proc/self/status || return 1
  # The profile refuses swapoff whatever the capabilities (EPERM); the kernel
  # would let CAP_SYS_ADMIN try, and say ENOENT.
  expect 1 'swap: Operation not permitted' prun --rm --cap-add SYS_ADMIN "$IMG" swapoff /no/such/swap
}
c_seccomp-unconfined() {
  expect 0 'Seccomp:\s0' prun --rm --security-opt seccomp=unconfined "$IMG" \
    cat /proc/self/status || return 1
  expect 1 'swap: No such file or directory' prun --rm --cap-add SYS_ADMIN \
    --security-opt seccomp=unconfined "$IMG" swapoff /no/such/swap
}
c_ulimits() { expect 0 '^20000 32768$' prun --rm "$IMG" sh -c 'echo $(ulimit -n) $(ulimit -u)'; }
c_hostname() { expect 0 '^box-1$' prun --rm --hostname box-1 "$IMG" hostname; }

c_privileged() {
  # every capability of the bounding set, no seccomp, the host's devices, mounts allowed
  local bnd
  bnd=$(sed -n 's/^CapBnd:\s*//p' /proc/self/status)
  expect 0 "CapEff:\s$bnd" prun --rm --privileged "$IMG" cat /proc/self/status || return 1
  expect 0 'Seccomp:\s0' prun --rm --privileged "$IMG" cat /proc/self/status || return 1
  expect 0 '^kmsg mounted$' prun --rm --privileged "$IMG" \
    sh -c 'test -c /dev/kmsg && echo -n "kmsg " && mkdir /m && mount -t tmpfs none /m && echo mounted'
}
c_device() {
  expect 0 '^crw-rw-rw- +1 root +root +1, +5 .* /dev/myzero 3$' prun --rm \
    --device /dev/zero:/dev/myzero "$IMG" sh -c 'echo $(ls -l /dev/myzero) $(head -c 3 /dev/myzero | wc -c)'
}
c_pid-host() {
  expect 0 "^$(rx "$(readlink /proc/self/ns/pid)") [0-9]+\$" prun --rm --pid host "$IMG" \
    sh -c 'echo $(readlink /proc/self/ns/pid) $$'
}
c_ipc-uts-host() {
  expect 0 "^$(rx "$(readlink /proc/self/ns/ipc)") $(rx "$(hostname)")\$" prun --rm --ipc host --uts host "$IMG" \
    sh -c 'echo $(readlink /proc/self/ns/ipc) $(hostname)'
}
c_tmpfs() {
  expect 0 '^tmpfs /scratch tmpfs rw,.*size=1024k' prun --rm --read-only --tmpfs /scratch:size=1m \
    "$IMG" sh -c 'touch /scratch/f && grep " /scratch " /proc/mounts'
}
c_shm-size() {
  expect 0 ' /dev/shm tmpfs .*size=1024k' prun --rm --shm-size 1m "$IMG" grep /dev/shm /proc/mounts
}
c_sysctl() {
  expect 0 '^4096$' prun --rm --sysctl kernel.msgmax=4096 "$IMG" cat /proc/sys/kernel/msgmax
}
c_no-new-privileges() {
  expect 0 'NoNewPrivs:\s1' prun --rm --security-opt no-new-privileges "$IMG" cat /proc/self/status
}
c_group-add() {
  expect 0 '^uid=1000\(1000\) gid=1000\(1000\) groups=1000\(1000\),1234$' prun --rm \
    --user 1000:1000 --group-add 1234 "$IMG" id
}
c_cgroupns-private() {
  expect 0 '^67108864 4:memory:/$' prun --rm --cgroupns private --memory 64m "$IMG" \
    sh -c 'echo $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) $(grep :memory: /proc/self/cgroup)'
}

# ---- run them ----
declare -A RESULT
selected=(${PODMAN_CHECKS:-${CHECKS[@]}})
for r in "${RUNTIMES[@]}"; do
  RN=${r%%=*}
  RT=${r#*=}
  pass=0
  total=0
  echo "== podman --runtime $RT"
  for c in "${selected[@]}"; do
    why=
    : > "$W/last"
    total=$((total + 1))
    t0=${EPOCHREALTIME/./}
    if "c_$c" > "$W/out/$RN.$c" 2>&1; then
      RESULT[$RN,$c]=ok
      pass=$((pass + 1))
      t1=$(( (${EPOCHREALTIME/./} - t0) / 100000 ))
      printf 'ok    %-20s %d.%ds\n' "$c" $((t1 / 10)) $((t1 % 10))
    else
      RESULT[$RN,$c]=FAIL
      printf 'FAIL  %-20s %s\n' "$c" "$why"
      tail -n 12 "$W/last" | sed 's/^/        | /'
    fi
  done
  [ -n "$DETACHED" ] && pm rm -f -t 0 "$DETACHED" >/dev/null 2>&1
  DETACHED=
  RESULT[$RN]="$pass/$total"
done

echo
status=0
for r in "${RUNTIMES[@]}"; do
  RN=${r%%=*}
  echo "$RN: ${RESULT[$RN]} passed"
done
for c in "${selected[@]}"; do
  [ "${RESULT[capsa,$c]:-}" = FAIL ] || continue
  if [ -z "$runc_path" ] || [ "${RESULT[runc,$c]:-ok}" = ok ]; then
    echo "capsa fails $c${runc_path:+, which passes with runc}"
    status=1
  else
    echo "capsa fails $c, as runc does"
  fi
done
exit $status
