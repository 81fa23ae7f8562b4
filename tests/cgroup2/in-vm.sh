#!/bin/bash
# The cgroup container tests on pure cgroup v2, run inside the VM that
# tests/cgroup2/run-vm boots (the host's root read-only, tmpfs /tmp and /run,
# cgroup2 alone on /sys/fs/cgroup). Mirrors src/test/java/dev/capsa/it/CgroupsIT.java,
# which covers the host's hybrid layout: linux.resources read back from the
# cgroup v2 files and observed from inside, cgroupsPath, the cgroup namespace,
# devices through the eBPF program, and the commands that work through the
# cgroup (events, pause, resume, update, ps, kill --all, delete).
#
#   tests/cgroup2/in-vm.sh [CHECK...]     (from the top of the work tree)
# Each check prints "ok NAME", "skip NAME: reason" or "FAIL NAME: detail"
# (one line per failed assertion); the last line is
# "CGROUP2-RESULT pass=N fail=M skip=K". Exit status 0 only when nothing failed.
# Everything runs 20-50x slower than on a host (a JVM starts in ~2 s), so the
# checks use few capsa invocations and wait with wide margins.
set -u
top=$(pwd -P)
CG=/sys/fs/cgroup
W=/tmp/cgroup2-tests
R=$W/state
MB=1048576
T_CMD=300       # seconds any one capsa command may take
T_WAIT=120      # seconds to wait for something to happen

if [ ! -f $CG/cgroup.controllers ] || grep -q ' cgroup ' /proc/mounts; then
  echo "in-vm.sh: this is not a pure cgroup v2 system"
  echo "CGROUP2-RESULT pass=0 fail=1 skip=0"
  exit 1
fi
for tool in jq timeout; do
  command -v $tool >/dev/null || { echo "in-vm.sh: $tool is missing";
    echo "CGROUP2-RESULT pass=0 fail=1 skip=0"; exit 1; }
done

# ------------------------------------------------------------------ bookkeeping
pass=0 fail=0 skip=0
current= cfail=0 cskip=
ids=()     # containers the current check made, force-deleted after it
pids_bg=() # background processes the current check started

bad() {
  echo "FAIL $current: $*"
  cfail=1
}
skip() {
  cskip=$*
}
eq() { # eq WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] && return 0
  bad "$1: expected \"$2\", got \"$3\""
  return 1
}
contains() { # contains WHAT NEEDLE HAYSTACK
  case $3 in *"$2"*) return 0 ;; esac
  bad "$1: \"$2\" not in: $(printf %s "$3" | head -c 1500 | tr '\n' '|')"
  return 1
}
lacks() { # lacks WHAT NEEDLE HAYSTACK
  case $3 in *"$2"*) bad "$1: \"$2\" is in: $(printf %s "$3" | head -c 1500 | tr '\n' '|')"
    return 1 ;; esac
  return 0
}
isdir() { [ -d "$2" ] || { bad "$1: $2 is not there"; return 1; }; }
nodir() { [ ! -e "$2" ] || { bad "$1: $2 is still there"; return 1; }; }
val() { # the contents of a file, or <missing>
  if [ -e "$1" ]; then cat "$1" 2>&1; else echo "<missing: $1>"; fi
}

# capsa with the test's state root; its output is in $out and $err, status in $st.
# Through files, not a pipe: what it starts (exec --detach) may keep its stdout.
capsa() {
  timeout -k 5 $T_CMD "$top/bin/capsa" --root "$R" "$@" >"$W/out" 2>"$W/err" </dev/null
  st=$?
  out=$(cat "$W/out")
  err=$(cat "$W/err")
  return $st
}
# must capsa ARGS...: the command must succeed.
must() {
  capsa "$@" && return 0
  bad "capsa $* exited $st: $err$out"
  return 1
}

# poll WHAT COMMAND...: waits up to T_WAIT seconds for COMMAND to succeed.
poll() {
  local what=$1 end=$((SECONDS + T_WAIT))
  shift
  until "$@"; do
    if [ $SECONDS -ge $end ]; then
      bad "waited ${T_WAIT}s for $what"
      return 1
    fi
    sleep 0.2
  done
}

status_of() { capsa state "$1" >/dev/null 2>&1 && jq -r .status <<< "$out"; }
pid_of() { capsa state "$1" >/dev/null 2>&1 && jq -r .pid <<< "$out"; }
is_status() { [ "$(status_of "$1")" = "$2" ]; }
gone() { # true when process $1 has ended (gone or a zombie)
  local s
  s=$(cat /proc/$1/stat 2>/dev/null) || return 0
  s=${s##*) }
  [ "${s%% *}" = Z ]
}
# The pids in a cgroup's cgroup.procs, sorted, one line.
procs() { sort -n "$1/cgroup.procs" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
nprocs() { [ "$(wc -l < "$1/cgroup.procs")" -eq "$2" ]; }
# stopped ID: waits for the container's cgroup to empty (cgroup.events
# "populated 0", no JVM needed to poll), then state must say stopped.
emptied() { grep -qx 'populated 0' "$CG/$1/cgroup.events"; }
stopped() {
  poll "$1's processes to end" emptied "$1" || return 1
  poll "$1 to be stopped" is_status "$1" stopped
}

# ------------------------------------------------------------------ bundles
# One busybox rootfs (tests/make-bundle), read-only in every container; each
# check writes its own config.json from a template.
setup() {
  rm -rf "$W"
  mkdir -p "$W/b" "$W/shared" "$R"
  # run-vm makes the bundle on the host: CGROUP2_BUNDLE, a tar of bundle/.
  if [ -n "${CGROUP2_BUNDLE:-}" ] && [ -f "$CGROUP2_BUNDLE" ]; then
    tar -C "$W" -xf "$CGROUP2_BUNDLE" && mv "$W/bundle" "$W/base" || return 1
  else
    "$top/tests/make-bundle" "$W/base" plain >/dev/null || return 1
  fi
  mkdir -p "$W/base/rootfs/shared"
  jq --arg rootfs "$W/base/rootfs" '.root.path = $rootfs | .process.terminal = false' \
    "$W/base/config.json" > "$W/template.json"
}

# bundle NAME: a fresh bundle dir with the template's config; sets $B and $id.
bundle() {
  id=$1-$$
  B=$W/b/$1
  rm -rf "$B"
  mkdir -p "$B"
  cp "$W/template.json" "$B/config.json"
  ids+=("$id")
}
# cfg JQ-FILTER [jq args...]: edits $B/config.json.
cfg() {
  local f=$1
  shift
  # The file before the arguments: after --args every word is a positional argument.
  jq "$f" "$B/config.json" "$@" > "$B/config.json.new" \
    && mv "$B/config.json.new" "$B/config.json" || bad "jq $f failed"
}
args() { # args ARG...: process.args (as --arg a0 A --arg a1 B: jq would take "-c" as its own)
  local filter= i=0 a
  local -a jargs=()
  for a in "$@"; do
    filter+="${filter:+, }\$a$i"
    jargs+=(--arg "a$i" "$a")
    i=$((i + 1))
  done
  cfg ".process.args = [$filter]" "${jargs[@]}"
}
script() { args sh -c "$1"; }
resources() { # resources JSON: merged into linux.resources
  cfg '.linux.resources = ((.linux.resources // {}) * $r)' --argjson r "$1"
}
# shared: a directory of this VM bind-mounted read-write at /shared; sets $S.
shared() {
  S=$W/shared/$id
  mkdir -p "$S"
  chmod 1777 "$S"
  cfg '.mounts += [{"destination": "/shared", "type": "bind", "source": $s,
      "options": ["rbind", "rw"]}]' --arg s "$S"
}
# create in the background, the container's output going to $B/out and $B/err.
create() {
  timeout -k 5 $T_CMD "$top/bin/capsa" --root "$R" create --bundle "$B" "$id" \
    >"$B/out" 2>"$B/err" </dev/null
  st=$?
  [ $st = 0 ] || bad "create $id exited $st: $(cat "$B/err")"
  return $st
}
start_sleeping() { # a started container running sleep 1000
  args sleep 1000
  create && must start "$id"
}

# run_check NAME: runs t_NAME and reports it; force-deletes what it left.
run_check() {
  current=$1 cfail=0 cskip= ids=() pids_bg=()
  local t0=$SECONDS p i
  "t_$1"
  for p in "${pids_bg[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for i in "${ids[@]}"; do
    if capsa state "$i" >/dev/null 2>&1; then
      capsa delete --force "$i" >/dev/null 2>&1 || echo "  (cleanup: delete --force $i: $err)"
    fi
  done
  if [ $cfail != 0 ]; then
    fail=$((fail + 1))
  elif [ -n "$cskip" ]; then
    echo "skip $1: $cskip"
    skip=$((skip + 1))
  else
    echo "ok $1 ($((SECONDS - t0))s)"
    pass=$((pass + 1))
  fi
}

# ------------------------------------------------------------------ limits

# Every linux.resources field with a v2 interface, in the container's default
# cgroup (/<id>): the files of /sys/fs/cgroup/<id>, the same seen inside through
# the container's cgroup namespace and cgroup2 mount, and their effects.
t_limits() {
  bundle limits
  local hugetlb=false r
  grep -qw hugetlb $CG/cgroup.controllers && hugetlb=true
  r='{"memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728},
      "cpu": {"shares": 512, "quota": 25000, "period": 50000, "burst": 1000,
              "cpus": "0", "mems": "0"},
      "pids": {"limit": 32}}'
  $hugetlb && r=$(jq '.hugepageLimits = [{"pageSize": "2MB", "limit": 8388608}]' <<< "$r")
  resources "$r"
  # A busy loop long enough for a 50% quota to throttle it.
  script 'echo ==cgroup==; cat /proc/self/cgroup;
    for f in memory.max memory.low memory.swap.max pids.max cpu.max cpu.weight cpuset.cpus; do
      echo ==$f==; cat /sys/fs/cgroup/$f; done;
    echo ==hugetlb==; cat /sys/fs/cgroup/hugetlb.2MB.max 2>&1;
    echo ==allowed==; grep Cpus_allowed_list /proc/self/status;
    i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo ==loop==; echo $i'
  create || return
  local pid d=$CG/$id
  pid=$(pid_of "$id")
  eq "/proc/PID/cgroup" "0::/$id" "$(cat /proc/$pid/cgroup)"
  eq "cgroup.procs of $d" "$pid" "$(procs "$d")"
  eq memory.max $((64 * MB)) "$(val $d/memory.max)"
  eq memory.low $((32 * MB)) "$(val $d/memory.low)"
  eq "memory.swap.max (swap 128M less limit 64M)" $((64 * MB)) "$(val $d/memory.swap.max)"
  eq "cpu.weight (shares 512)" 20 "$(val $d/cpu.weight)"
  eq cpu.max "25000 50000" "$(val $d/cpu.max)"
  eq cpu.max.burst 1000 "$(val $d/cpu.max.burst)"
  eq cpuset.cpus 0 "$(val $d/cpuset.cpus)"
  eq cpuset.mems 0 "$(val $d/cpuset.mems)"
  eq pids.max 32 "$(val $d/pids.max)"
  $hugetlb && eq hugetlb.2MB.max $((8 * MB)) "$(val $d/hugetlb.2MB.max)"
  must start "$id" || return
  stopped "$id" || return
  local o
  o=$(cat "$B/out")
  section() { awk -v s="==$1==" '$0 == s { on = 1; next } /^==/ { on = 0 } on' <<< "$o"; }
  eq "inside: /proc/self/cgroup" "0::/" "$(section cgroup)"
  eq "inside: memory.max" $((64 * MB)) "$(section memory.max)"
  eq "inside: memory.low" $((32 * MB)) "$(section memory.low)"
  eq "inside: memory.swap.max" $((64 * MB)) "$(section memory.swap.max)"
  eq "inside: pids.max" 32 "$(section pids.max)"
  eq "inside: cpu.max" "25000 50000" "$(section cpu.max)"
  eq "inside: cpu.weight" 20 "$(section cpu.weight)"
  eq "inside: cpuset.cpus" 0 "$(section cpuset.cpus)"
  $hugetlb && eq "inside: hugetlb.2MB.max" $((8 * MB)) "$(section hugetlb)"
  eq "inside: the process runs on cpu 0 only" "Cpus_allowed_list:	0" "$(section allowed)"
  eq "the busy loop ran" 30000 "$(section loop)"
  local thr
  thr=$(awk '$1 == "nr_throttled" { print $2 }' $d/cpu.stat 2>/dev/null)
  [ "${thr:-0}" -gt 0 ] || bad "cpu.stat: a 50% quota never throttled the busy loop:" \
    "$(tr '\n' ' ' < $d/cpu.stat)"
  must delete "$id"
  nodir "delete removes the cgroup" "$d"
}

# hugepageLimits also limit reservations where the kernel has them (runc's fs2
# writes hugetlb.<size>.rsvd.max too).
t_hugetlb_rsvd() {
  grep -qw hugetlb $CG/cgroup.controllers || { skip "no hugetlb controller"; return; }
  bundle hugetlb
  resources '{"hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}]}'
  args sleep 1000
  create || return
  [ -e "$CG/$id/hugetlb.2MB.rsvd.max" ] || { skip "no hugetlb reservation accounting"; return; }
  eq hugetlb.2MB.rsvd.max $((8 * MB)) "$(val "$CG/$id/hugetlb.2MB.rsvd.max")"
}

# A fork bomb stops at pids.max.
t_pids() {
  bundle pids
  resources '{"pids": {"limit": 10}}'
  script 'i=0; while [ $i -lt 30 ]; do sleep 1000 & i=$((i+1)); done; echo all-forked'
  create || return
  must start "$id" || return
  stopped "$id" || return
  lacks "the loop did not fork 30 processes" all-forked "$(cat "$B/out")"
  contains "the shell could not fork" "can't fork" "$(cat "$B/err")"
  local m
  m=$(awk '$1 == "max" { print $2 }' "$CG/$id/pids.events" 2>/dev/null)
  [ "${m:-0}" -gt 0 ] || bad "pids.events: max ${m:-<missing>}, expected > 0"
  must delete "$id"
}

# io.weight, and io.max on the VM's disk (a null-co virtio-blk device) with its
# effect: a direct read of 3 MiB at 1 MiB/s takes seconds.
t_io() {
  grep -qw io $CG/cgroup.controllers || { skip "no io controller"; return; }
  local disk
  disk=$(ls /sys/block 2>/dev/null | grep -m1 -E '^(vd|sd|nvme)') || true
  [ -n "$disk" ] || { skip "the VM has no block device for io.max"; return; }
  local dev maj min
  dev=$(cat /sys/block/$disk/dev)
  maj=${dev%:*} min=${dev#*:}
  bundle io
  resources "$(jq -n --argjson maj $maj --argjson min $min '{"blockIO": {"weight": 300,
    "throttleReadBpsDevice": [{"major": $maj, "minor": $min, "rate": 1048576}],
    "throttleWriteIOPSDevice": [{"major": $maj, "minor": $min, "rate": 100}]},
    "devices": [{"allow": true, "type": "b", "major": $maj, "minor": $min, "access": "r"}]}')"
  cfg '.linux.devices = [{"path": "/dev/disk0", "type": "b", "major": $maj, "minor": $min,
      "fileMode": 420}]' --argjson maj $maj --argjson min $min
  # A new container may open only the default devices and those its rules
  # allow (as with runc): the rule above lets it read the disk.
  script 'a=$(cut -d" " -f1 /proc/uptime); dd if=/dev/disk0 of=/dev/null bs=65536 count=48 \
    iflag=direct 2>/dev/null || echo "dd failed: $?"; b=$(cut -d" " -f1 /proc/uptime);
    echo "took $a $b"'
  create || return
  local d=$CG/$id w
  w=$(val $d/io.weight)
  [ -e $d/io.weight ] || w="default $(val $d/io.bfq.weight | sed -n 's/^default //p')"
  eq "io.weight (blkio weight 300)" "default 2930" "$(head -n 1 <<< "$w")"
  eq io.max "$dev rbps=1048576 wbps=max riops=max wiops=100" "$(val $d/io.max)"
  must start "$id" || return
  stopped "$id" || return
  local took
  took=$(awk '/^took/ { print $3 - $2 }' "$B/out")
  # The same read outside the container, unthrottled, for comparison.
  local a b free
  a=$(cut -d" " -f1 /proc/uptime)
  dd if=/dev/$disk of=/dev/null bs=65536 count=48 iflag=direct 2>/dev/null
  b=$(cut -d" " -f1 /proc/uptime)
  free=$(awk -v a=$a -v b=$b 'BEGIN { print b - a }')
  echo "  io: 3 MiB read at rbps=1MiB/s in ${took:-?}s, unthrottled in ${free}s"
  if [ -z "$took" ] || grep -q "dd failed" "$B/out"; then
    bad "the read did not run: $(cat "$B/out" "$B/err")"
  elif awk -v f=$free 'BEGIN { exit !(f < 1.0) }'; then
    awk -v t=$took 'BEGIN { exit !(t >= 1.5) }' || bad "io.max did not slow the read: ${took}s"
  else
    echo "  io: the unthrottled read is too slow here to judge the throttled one"
  fi
  must delete "$id"
}

# ------------------------------------------------------------------ devices

# Device nodes the default devices do not cover, whose opening needs no
# privilege (the VM loads fuse for /dev/fuse).
fuse_and_loop_control() {
  cfg '.linux.devices = [
    {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438},
    {"path": "/dev/loop-control", "type": "c", "major": 10, "minor": 237, "fileMode": 438}]'
}

# Devices on v2 are an eBPF program: a denied device cannot be opened, an
# allowed one (and the default ones) can.
t_devices() {
  [ -e /dev/fuse ] || { skip "no /dev/fuse in the VM (fuse not loaded)"; return; }
  bundle devices
  fuse_and_loop_control
  resources '{"devices": [{"allow": false, "access": "rwm"},
    {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rm"},
    {"allow": true, "type": "c", "major": 10, "minor": 237, "access": "m"}]}'
  script 'exec 3</dev/fuse && echo fuse-read-ok; exec 3<&-;
    (exec 4>/dev/fuse) 2>&1; (exec 5</dev/loop-control) 2>&1;
    head -c 3 /dev/zero | wc -c; echo x > /dev/null && echo null-write-ok'
  capsa run --bundle "$B" "$id"
  local o
  o=$(printf '%s\n' "$out" | sed -n 1,5p)
  eq "run's status" 0 "$st" || bad "stderr: $err"
  eq "lines" 5 "$(printf '%s\n' "$out" | wc -l)"
  eq "reading /dev/fuse (allowed r)" fuse-read-ok "$(sed -n 1p <<< "$o")"
  contains "writing /dev/fuse (w not allowed)" "/dev/fuse" "$(sed -n 2p <<< "$o")"
  contains "writing /dev/fuse (w not allowed)" "Operation not permitted" "$(sed -n 2p <<< "$o")"
  contains "reading /dev/loop-control (only m)" "/dev/loop-control" "$(sed -n 3p <<< "$o")"
  contains "reading /dev/loop-control (only m)" "Operation not permitted" "$(sed -n 3p <<< "$o")"
  eq "reading /dev/zero (a default device)" 3 "$(sed -n 4p <<< "$o" | tr -d ' ')"
  eq "writing /dev/null (a default device)" null-write-ok "$(sed -n 5p <<< "$o")"
  nodir "run removes the cgroup" "$CG/$id"
}

# Rules config-linux.md-style, without "m": the nodes of linux.devices can
# still be made (runc allows "c *:* m" and "b *:* m" by default).
t_devices_without_mknod() {
  [ -e /dev/fuse ] || { skip "no /dev/fuse in the VM (fuse not loaded)"; return; }
  bundle devices-nom
  fuse_and_loop_control
  resources '{"devices": [{"allow": false, "access": "rwm"},
    {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "r"}]}'
  script 'exec 3</dev/fuse && echo fuse-read-ok; exec 3<&-;
    (exec 4>/dev/fuse) 2>&1; (exec 5</dev/loop-control) 2>&1; true'
  capsa run --bundle "$B" "$id"
  eq "run's status (stderr: $err)" 0 "$st"
  [ $st = 0 ] || return
  eq "reading /dev/fuse" fuse-read-ok "$(sed -n 1p <<< "$out")"
  contains "writing /dev/fuse" "Operation not permitted" "$(sed -n 2p <<< "$out")"
  contains "reading /dev/loop-control" "Operation not permitted" "$(sed -n 3p <<< "$out")"
}

# Without linux.resources.devices only the default devices can be opened (a
# new container starts from deny-all, as in runc).
t_devices_default_only() {
  bundle devices-def
  fuse_and_loop_control
  script '(exec 5</dev/loop-control) 2>&1; echo x > /dev/null && echo null-ok'
  must run --bundle "$B" "$id" || return
  contains "opening /dev/loop-control" "Operation not permitted" "$out"
  contains "writing /dev/null" null-ok "$out"
}

# ------------------------------------------------------------------ unified

# linux.resources.unified: keys written as given, seen inside too.
t_unified() {
  bundle unified
  resources '{"unified": {"memory.max": "104857600", "memory.low": "10485760",
    "memory.high": "52428800", "memory.swap.max": "0", "pids.max": "7",
    "cpu.weight": "77", "cpu.max": "30000 100000"}}'
  script 'for f in memory.high pids.max cpu.weight; do cat /sys/fs/cgroup/$f; done; sleep 1000'
  create || return
  local d=$CG/$id
  eq memory.max 104857600 "$(val $d/memory.max)"
  eq memory.low 10485760 "$(val $d/memory.low)"
  eq memory.high 52428800 "$(val $d/memory.high)"
  eq memory.swap.max 0 "$(val $d/memory.swap.max)"
  eq pids.max 7 "$(val $d/pids.max)"
  eq cpu.weight 77 "$(val $d/cpu.weight)"
  eq cpu.max "30000 100000" "$(val $d/cpu.max)"
  must start "$id" || return
  poll "the container's output" grep -q . "$B/out" || return
  sleep 1
  eq "inside" "52428800 7 77" "$(tr '\n' ' ' < "$B/out" | sed 's/ $//')"
}

# A unified key of a controller the host does not have, a file the controller
# does not have, and a value the kernel refuses: create fails naming the key
# and leaves no container and no cgroup.
t_unified_errors() {
  local key
  for key in foo.bar memory.bogus memory.high=lots; do
    local k=${key%%=*} v=1
    [ "$key" = "$k" ] || v=${key#*=}
    bundle "unified-${k//./-}"
    resources "$(jq -n --arg k "$k" --arg v "$v" '{"unified": {($k): $v}}')"
    args true
    if capsa create --bundle "$B" "$id"; then
      bad "create with unified[\"$k\"]=$v succeeded"
      continue
    fi
    contains "the error names the field" "linux.resources.unified[\"$k\"]" "$err"
    nodir "a failed create leaves no cgroup" "$CG/$id"
  done
  capsa list -q
  eq "failed creates leave no container" "" "$out"
}

# ------------------------------------------------------------------ cgroupsPath

# An absolute cgroupsPath is from the root; delete removes the cgroups it made.
t_path_absolute() {
  bundle abs
  local path=/capsa-abs-$$/inner
  cfg '.linux.cgroupsPath = $p' --arg p "$path"
  args sleep 1000
  create || return
  local pid
  pid=$(pid_of "$id")
  eq "/proc/PID/cgroup" "0::$path" "$(cat /proc/$pid/cgroup)"
  eq "cgroup.procs" "$pid" "$(procs $CG$path)"
  must delete --force "$id"
  nodir "delete removes the cgroup" "$CG$path"
  rmdir $CG/capsa-abs-$$ 2>/dev/null
}

# A relative cgroupsPath is below the runtime's cgroup. On v2 the runtime's own
# cgroup has processes (this script and capsa itself), and a cgroup with
# processes cannot delegate controllers to children, so runc (fs2
# defaultDirPath) takes it from the parent of its own cgroup; so does capsa.
t_path_relative() {
  bundle rel
  local path=capsa-rel-$$
  local own parent
  own=$(sed -n 's/^0:://p' /proc/self/cgroup)
  parent=${own%/*}
  cfg '.linux.cgroupsPath = $p' --arg p "$path"
  resources '{"pids": {"limit": 20}}'
  args sleep 1000
  create || return
  local pid
  pid=$(pid_of "$id")
  eq "/proc/PID/cgroup (own cgroup $own)" "0::$parent/$path" "$(cat /proc/$pid/cgroup)"
  eq "pids.max" 20 "$(val $CG$parent/$path/pids.max)"
  must delete --force "$id"
  nodir "delete removes the cgroup" "$CG$parent/$path"
}

# The container sees its cgroup as the root.
t_cgroupns() {
  bundle cgroupns
  args cat /proc/self/cgroup
  must run --bundle "$B" "$id" || return
  eq "/proc/self/cgroup inside" "0::/" "$out"
}

# delete leaves a cgroupsPath that existed before create.
t_path_preexisting() {
  bundle pre
  local path=/capsa-pre-$$
  mkdir $CG$path
  cfg '.linux.cgroupsPath = $p' --arg p "$path"
  args sleep 1000
  create || { rmdir $CG$path; return; }
  local pid
  pid=$(pid_of "$id")
  eq "cgroup.procs" "$pid" "$(procs $CG$path)"
  must delete --force "$id"
  isdir "delete keeps the cgroup it did not make" $CG$path
  eq "cgroup.procs after delete" "" "$(procs $CG$path)"
  rmdir $CG$path 2>/dev/null
}

# create in a cgroup that has a process fails and leaves it as it was.
t_path_busy() {
  bundle busy
  local path=/capsa-busy-$$
  mkdir $CG$path
  sleep 1000 &
  local sleeper=$!
  pids_bg+=($sleeper)
  echo $sleeper > $CG$path/cgroup.procs
  cfg '.linux.cgroupsPath = $p' --arg p "$path"
  args true
  if capsa create --bundle "$B" "$id"; then
    bad "create in a cgroup with a process succeeded"
  else
    contains "the error names the field" "linux.cgroupsPath" "$err"
    contains "the error says why" "already has processes" "$err"
  fi
  capsa state "$id" && bad "a failed create left container $id"
  eq "the cgroup keeps its process" "$sleeper" "$(procs $CG$path)"
  kill -KILL $sleeper; wait $sleeper 2>/dev/null
  poll "the sleeper to leave" nprocs $CG$path 0
  rmdir $CG$path
}

# ------------------------------------------------------------------ pause, resume

count() { local c; c=$(cat "$S/count" 2>/dev/null); echo "${c:-0}"; }
counted_past() { [ "$(count)" -gt "$1" ]; }

# pause freezes the cgroup (cgroup.freeze): a paused loop does not count;
# resume thaws it; delete --force of a paused container.
t_pause() {
  bundle pause
  shared
  script 'i=0; while :; do i=$((i+1)); echo $i > /shared/count.tmp;
    mv /shared/count.tmp /shared/count; sleep 0.05; done'
  create || return
  must start "$id" || return
  local d=$CG/$id pid
  pid=$(pid_of "$id")
  poll "the loop to count" counted_past 2 || return
  must pause "$id" || return
  eq "state after pause" paused "$(status_of "$id")"
  eq cgroup.freeze 1 "$(val $d/cgroup.freeze)"
  contains cgroup.events "frozen 1" "$(val $d/cgroup.events)"
  local frozen
  frozen=$(count)
  sleep 3
  eq "a paused loop does not count" "$frozen" "$(count)"
  must resume "$id" || return
  eq "state after resume" running "$(status_of "$id")"
  eq cgroup.freeze 0 "$(val $d/cgroup.freeze)"
  contains cgroup.events "frozen 0" "$(val $d/cgroup.events)"
  poll "the loop to count again" counted_past $((frozen + 2)) || return
  must pause "$id" || return
  must delete --force "$id" || return
  capsa state "$id" && bad "delete --force left the paused container"
  poll "process $pid to be gone" gone "$pid"
  nodir "delete --force of a paused container removes the cgroup" "$d"
}

# ------------------------------------------------------------------ update

t_update() {
  bundle update
  resources '{"memory": {"limit": 67108864, "swap": 67108864}}'
  start_sleeping || return
  local d=$CG/$id
  eq "memory.swap.max (swap = limit)" 0 "$(val $d/memory.swap.max)"
  must update --memory 100m --pids-limit 50 "$id" || return
  eq memory.max $((100 * MB)) "$(val $d/memory.max)"
  eq pids.max 50 "$(val $d/pids.max)"
  must update --cpu-share 256 --cpu-period 100000 --cpu-quota 20000 --cpuset-cpus 0 \
    --memory-reservation 50m "$id" || return
  eq "cpu.weight (shares 256)" 10 "$(val $d/cpu.weight)"
  eq cpu.max "20000 100000" "$(val $d/cpu.max)"
  eq cpuset.cpus 0 "$(val $d/cpuset.cpus)"
  eq memory.low $((50 * MB)) "$(val $d/memory.low)"
  eq "memory.max (not named: stays)" $((100 * MB)) "$(val $d/memory.max)"
  # From a resources file: raised past the current limits, then lowered.
  jq -n '{"memory": {"limit": 134217728, "swap": 268435456},
    "cpu": {"shares": 300, "quota": 30000, "period": 60000}, "pids": {"limit": 40}}' \
    > "$B/resources.json"
  must update -r "$B/resources.json" "$id" || return
  eq memory.max $((128 * MB)) "$(val $d/memory.max)"
  eq "memory.swap.max (256M less 128M)" $((128 * MB)) "$(val $d/memory.swap.max)"
  eq "cpu.weight (shares 300)" 12 "$(val $d/cpu.weight)"
  eq cpu.max "30000 60000" "$(val $d/cpu.max)"
  eq pids.max 40 "$(val $d/pids.max)"
  jq -n '{"memory": {"limit": 33554432, "swap": 50331648}}' > "$B/resources.json"
  must update -r "$B/resources.json" "$id" || return
  eq memory.max $((32 * MB)) "$(val $d/memory.max)"
  eq memory.swap.max $((16 * MB)) "$(val $d/memory.swap.max)"
  # And the effect of a pids update: the container cannot fork past it.
  must update --pids-limit 1 "$id" || return
  eq pids.max 1 "$(val $d/pids.max)"
  if capsa exec "$id" true; then
    bad "exec succeeded in a container at its pids limit"
  fi
  must update --pids-limit 10 "$id" || return
  must exec "$id" echo forked-again
  eq "exec after raising pids" forked-again "$out"
}

# update of a stopped container fails.
t_update_stopped() {
  bundle update-stopped
  args true
  create || return
  must start "$id" || return
  stopped "$id" || return
  if capsa update --pids-limit 5 "$id"; then
    bad "update of a stopped container succeeded"
  else
    contains "the error" stopped "$err"
  fi
}

# ------------------------------------------------------------------ events, ps

t_events_stats() {
  bundle stats
  resources '{"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
  start_sleeping || return
  must events --stats "$id" || return
  eq "lines" 1 "$(printf '%s\n' "$out" | wc -l)"
  local e=$out
  jq -e . >/dev/null 2>&1 <<< "$e" || { bad "not JSON: $e"; return; }
  eq type stats "$(jq -r .type <<< "$e")"
  eq id "$id" "$(jq -r .id <<< "$e")"
  [ "$(jq -r '.data.memory.usage.usage // 0' <<< "$e")" -gt 0 ] \
    || bad "data.memory.usage.usage is not > 0: $e"
  eq data.memory.usage.limit $((64 * MB)) "$(jq -r .data.memory.usage.limit <<< "$e")"
  [ "$(jq -r '.data.cpu.usage.total // 0' <<< "$e")" -gt 0 ] \
    || bad "data.cpu.usage.total is not > 0: $e"
  eq data.pids.current 1 "$(jq -r .data.pids.current <<< "$e")"
  eq data.pids.limit 20 "$(jq -r .data.pids.limit <<< "$e")"
}

hog_done() { grep -q 'hog=' "$B/out"; }
events_saw() { grep -q "$1" "$B/events"; }

# A process past memory.max is OOM-killed; events reports it.
t_oom() {
  bundle oom
  shared
  resources '{"memory": {"limit": 33554432, "swap": 33554432}}'
  script 'while [ ! -e /shared/go ]; do sleep 0.1; done;
    sh -c "x=0123456789abcdef; while :; do x=\$x\$x; done"; echo hog=$?; sleep 1000'
  create || return
  "$top/bin/capsa" --root "$R" events --interval 1m "$id" >"$B/events" 2>"$B/events.err" &
  local ev=$!
  pids_bg+=($ev)
  poll "events to print its first stats" events_saw '"type":"stats"' || return
  must start "$id" || return
  touch "$S/go"
  poll "the hog to be killed" hog_done || return
  contains "the hog was SIGKILLed" hog=137 "$(cat "$B/out")"
  poll "an oom event" events_saw '"type":"oom"' || return
  eq "oom events" "{\"type\":\"oom\",\"id\":\"$id\"}" "$(grep '"oom"' "$B/events")"
  contains memory.events "oom_kill 1" "$(val $CG/$id/memory.events)"
  eq "the container's first process survives" running "$(status_of "$id")"
  must delete --force "$id"
  poll "events to end after the delete" events_ended $ev
}

events_ended() { ! kill -0 "$1" 2>/dev/null; }

# events of a container deleted while it runs ends quietly with 0, as runc's
# (on the hybrid host it does not: CgroupsIT's disabled
# eventsEndsQuietlyWhenTheContainerIsDeleted; on v2 it does).
t_events_deleted() {
  bundle events-del
  start_sleeping || return
  "$top/bin/capsa" --root "$R" events --interval 1m "$id" >"$B/events" 2>"$B/events.err" &
  local ev=$!
  pids_bg+=($ev)
  poll "events to print its first stats" events_saw '"type":"stats"' || return
  must delete --force "$id" || return
  poll "events to end after the delete" events_ended $ev || return
  wait $ev
  local evst=$?
  eq "events' status (stderr: $(cat "$B/events.err"))" 0 "$evst"
  eq "events' stderr" "" "$(cat "$B/events.err")"
}

t_ps() {
  bundle ps
  script 'sleep 1001 & sleep 1002 & wait'
  create || return
  must start "$id" || return
  local d=$CG/$id
  poll "both sleeps to run" nprocs $d 3 || return
  local expected listed
  expected=$(procs $d)
  must ps "$id" || return
  local table=$out col
  col=$(head -n 1 <<< "$table" | awk '{ for (i = 1; i <= NF; i++) if ($i == "PID") print i }')
  [ -n "$col" ] || { bad "no PID column: $table"; return; }
  listed=$(tail -n +2 <<< "$table" | awk -v c=$col '{ print $c }' | sort -n | tr '\n' ' ' \
    | sed 's/ $//')
  eq "ps lists cgroup.procs" "$expected" "$listed" || echo "$table"
  contains "ps shows the commands" "sleep 1001" "$table"
  contains "ps shows the commands" "sleep 1002" "$table"
  must ps --format json "$id" || return
  eq "ps --format json" "$expected" "$(jq -r 'sort | map(tostring) | join(" ")' <<< "$out")"
}

# ------------------------------------------------------------------ kill --all, delete

t_kill_all() {
  bundle killall
  cfg '.linux.namespaces |= map(select(.type != "pid"))'
  script 'sleep 1001 & sleep 1002 & wait'
  create || return
  must start "$id" || return
  local d=$CG/$id all p
  poll "both sleeps to run" nprocs $d 3 || return
  all=$(procs $d)
  must kill --all "$id" || return
  stopped "$id" || return
  poll "every process to leave the cgroup" nprocs $d 0
  for p in $all; do poll "process $p to be gone" gone $p; done
  must delete "$id"
  nodir "delete removes the cgroup" "$d"
}

# The container makes cgroups of its own (a read-write cgroup mount); delete
# removes them with its own.
t_delete_subcgroups() {
  bundle subcg
  cfg '(.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) |= map(select(. != "ro"))'
  script 'mkdir /sys/fs/cgroup/inner /sys/fs/cgroup/inner/deeper && echo made'
  create || return
  must start "$id" || return
  stopped "$id" || return
  eq "the container's output" made "$(cat "$B/out")" || cat "$B/err"
  isdir "the container's sub-cgroup" "$CG/$id/inner/deeper"
  must delete "$id"
  nodir "delete removes the cgroup and its sub-cgroups" "$CG/$id"
}

# exec --cgroup SUB puts the process in a sub-cgroup; delete --force removes it.
t_exec_cgroup() {
  bundle execcg
  start_sleeping || return
  must exec --detach --pid-file "$B/exec.pid" --cgroup sub "$id" sleep 999 || return
  local pid
  pid=$(cat "$B/exec.pid")
  eq "cgroup.procs of $id/sub" "$pid" "$(procs $CG/$id/sub)"
  must delete --force "$id"
  nodir "delete removes the cgroup and the exec's sub-cgroup" "$CG/$id"
  poll "process $pid to be gone" gone "$pid"
}

# ------------------------------------------------------------------ main

all_checks=(limits hugetlb_rsvd pids io devices devices_without_mknod devices_default_only
  unified unified_errors path_absolute path_relative cgroupns path_preexisting path_busy
  pause update update_stopped events_stats oom events_deleted ps kill_all delete_subcgroups
  exec_cgroup systemd)

# ------------------------------------------------------------------ systemd

# The systemd cgroup driver on pure v2 (the unified properties: MemoryMax,
# IOWeight, AllowedCPUs): tests/systemd/checks.sh under a real systemd booted
# in a capsa container by tests/systemd/run, as `make test-systemd` does on the
# hybrid host.
t_systemd() {
  local log=$W/systemd.log
  if CAPSA_SYSTEMD_TIMEOUT=$((T_CMD * 3)) timeout $((T_CMD * 4)) \
      "$top/tests/systemd/run" "$top/tests/systemd/checks.sh" > "$log" 2>&1; then
    return
  fi
  bad "tests/systemd/run: $(grep -E '^FAIL|systemd harness' "$log" | tr '\n' ';')"
  sed 's/^/  | /' "$log" | tail -40
}

t0=$SECONDS
time_note() { echo "  ($1: $((SECONDS - t0))s)"; }
setup || { echo "in-vm.sh: making the bundle failed"; echo "CGROUP2-RESULT pass=0 fail=1 skip=0"
  exit 1; }
time_note "bundle copied"
# The JVM's AOT cache (see native/launcher.c, whose flags these are) saves most
# of a start; say whether this JVM takes it. (The first JVM reads the JDK
# through 9p: the slow one.)
java=$(cat "$top/target/capsa/java")
if "$java" -XX:AOTCache="$top/target/capsa/capsa.aot" -XX:AOTMode=on -Xlog:aot=off,cds=off \
    -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData --enable-native-access=ALL-UNNAMED \
    -Dcapsa.home="$top/target/capsa" -cp "$top/target/capsa/capsa.jar" dev.capsa.cli.Main \
    --version >/dev/null 2>&1; then
  echo "note: the AOT cache is used in the VM"
else
  echo "note: the JVM refuses the AOT cache in the VM (starts are slower)"
fi
time_note "first JVM"
# The runtime runs in a cgroup of its own below the root, as on a real host
# (where the root's children are systemd's slices), with its controllers
# delegated, so a relative cgroupsPath has a parent that can delegate them.
mkdir -p $CG/capsa-test.slice/runner
for c in $(cat $CG/cgroup.controllers); do
  echo "+$c" > $CG/cgroup.subtree_control
  echo "+$c" > $CG/capsa-test.slice/cgroup.subtree_control
done
echo $$ > $CG/capsa-test.slice/runner/cgroup.procs
before=$(find $CG -mindepth 1 -type d | sort)
echo "setup took $((SECONDS - t0))s; cgroup v2 controllers: $(cat $CG/cgroup.controllers)"

checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=("${all_checks[@]}")
for c in "${checks[@]}"; do
  if ! declare -F "t_$c" >/dev/null; then
    current=$c
    echo "FAIL $c: no such check (have: ${all_checks[*]})"
    fail=$((fail + 1))
    continue
  fi
  run_check "$c"
done

# Nothing is left: no container, no cgroup.
current=leftovers cfail=0
capsa list -q && [ -z "$out" ] || bad "containers left: $out $err"
after=$(find $CG -mindepth 1 -type d | sort)
[ "$before" = "$after" ] || bad "cgroups left: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
if [ $cfail = 0 ]; then echo "ok leftovers"; pass=$((pass + 1)); else fail=$((fail + 1)); fi

echo $$ > $CG/cgroup.procs
rmdir $CG/capsa-test.slice/runner $CG/capsa-test.slice 2>/dev/null
rm -rf "$W"
echo "in-vm.sh: $((SECONDS - t0))s"
echo "CGROUP2-RESULT pass=$pass fail=$fail skip=$skip"
[ $fail = 0 ]
