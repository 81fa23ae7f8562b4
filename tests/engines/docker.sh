#!/bin/bash
# Docker drives capsa: Debian's docker.io engine, started privately with
# `--add-runtime capsa=<bin/capsa>` on a private containerd; dockerd never runs
# the runtime itself, containerd's runc v2 shim does. Every check runs once with
# `--runtime runc` and once with `--runtime capsa`; the script fails when a
# check that passes with runc fails with capsa. Needs root; installs docker.io
# (without its recommends) if missing.
#   tests/engines/docker.sh        (make test-docker)
# SL_TRACE=DIR logs each runtime call to DIR/calls-runc.log, DIR/calls-capsa.log.
set -u
. "$(cd "${0%/*}" && pwd -P)/shim-lib.sh"

SL_NAME=docker
SL_PACKAGES=(docker.io containerd runc)
# Each runtime's containers go under a cgroup parent of its own (docker run
# --cgroup-parent); the daemon's default parent is there in case.
SL_CGROUP_PARENTS=(capsa-docker capsa-docker-runc capsa-docker-capsa)
IMAGE=capsa-busybox:latest

sl_start() {
  # dockerd 20.10 writes key.json into /etc/docker: a directory of ours there.
  mkdir -p "$SL_DIR/etc-docker" "$SL_DIR/docker-config"
  mount --bind "$SL_DIR/etc-docker" /etc/docker || return 1
  sl_containerd_start containerd || return 1
  echo '{}' > "$SL_DIR/daemon.json"
  DOCKER_SOCK=$SL_DIR/docker.sock
  dockerd --config-file "$SL_DIR/daemon.json" --data-root "$SL_DIR/docker-data" \
    --exec-root "$SL_DIR/docker-exec" --pidfile "$SL_DIR/docker.pid" -H "unix://$DOCKER_SOCK" \
    --containerd "$SL_DIR/containerd/containerd.sock" --containerd-namespace capsa-docker \
    --containerd-plugins-namespace capsa-docker-plugins \
    --bridge none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /capsa-docker \
    --add-runtime "capsa=$(sl_bin capsa)" > "$SL_DIR/dockerd.log" 2>&1 &
  echo $! > "$SL_DIR/dockerd.pid.bg"
  export DOCKER_CONFIG=$SL_DIR/docker-config
  sl_wait_for 60 d version || {
    sl_log "dockerd did not start:"; tail -20 "$SL_DIR/dockerd.log" >&2; return 1
  }
  sl_only_unix_sockets dockerd "$(cat "$SL_DIR/dockerd.pid.bg")" || return 1
  # The image: `docker import` of the busybox rootfs.
  sl_rootfs_tar "$SL_DIR/rootfs.tar"
}

sl_stop() {
  local pid id
  if [ -f "$SL_DIR/dockerd.pid.bg" ]; then
    pid=$(cat "$SL_DIR/dockerd.pid.bg")
    for id in $(d ps -aq 2>/dev/null); do d rm -f "$id"; done
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    rm -f "$SL_DIR/dockerd.pid.bg"
  fi
  sl_containerd_stop containerd
}

d() { timeout -k 5 "$SL_TIMEOUT" /usr/bin/docker -H "unix://$DOCKER_SOCK" "$@"; }

# docker run with the runtime under test and its cgroup parent (absolute, as
# Docker's default /docker: a relative one is taken from the shim's own cgroup).
drun() { d run --runtime "$RT" --cgroup-parent "/capsa-docker-$RT" "$@"; }

# The client's stderr (its warning that IPv4 forwarding is off, errors) goes
# here; a failed check shows it.
# Returns 1, the failure.
ERR() { SL_WHY="$1: $(grep -v 'IPv4 forwarding is disabled' "$SL_DIR/stderr")"; return 1; }

state_of() { d inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }

t_import() {
  local out
  out=$(d import --change 'CMD ["sh"]' "$SL_DIR/rootfs.tar" "$IMAGE" 2>&1) || { SL_WHY=$out; return 1; }
}

t_run() {
  local out rc=0
  out=$(drun --rm "$IMAGE" sh -c 'echo hello from $0; exit 3' box 2>"$SL_DIR/stderr") || rc=$?
  sl_expect output "$out" "hello from box" && sl_expect "exit status" "$rc" 3 || ERR "$SL_WHY"
}

t_stdin() {
  local out
  out=$(echo piped in | drun -i --rm "$IMAGE" cat 2>"$SL_DIR/stderr")
  sl_expect output "$out" "piped in" || ERR "$SL_WHY"
}

t_user() {
  local out
  out=$(drun --rm --user 65534:65534 -w /tmp "$IMAGE" sh -c 'echo $(id -u):$(id -g) $PWD' \
    2>"$SL_DIR/stderr")
  sl_expect output "$out" "65534:65534 /tmp" || ERR "$SL_WHY"
}

# Docker turns the runtime's "no such file or directory" into 127.
t_missing() {
  local rc=0
  drun --rm "$IMAGE" /no/such/program > /dev/null 2> "$SL_DIR/stderr" || rc=$?
  sl_expect "exit status" "$rc" 127 || { ERR "$SL_WHY"; return 1; }
  grep -q 'no such file or directory' "$SL_DIR/stderr" || { ERR "message"; return 1; }
}

# ... and "permission denied" into 126.
t_not_executable() {
  local rc=0
  drun --rm "$IMAGE" /etc/passwd > /dev/null 2> "$SL_DIR/stderr" || rc=$?
  sl_expect "exit status" "$rc" 126 || { ERR "$SL_WHY"; return 1; }
  grep -q 'permission denied' "$SL_DIR/stderr" || { ERR "message"; return 1; }
}

t_run_tty() {
  local out rc=0
  out=$(sl_tty /usr/bin/docker -H "unix://$DOCKER_SOCK" run -it --rm --runtime "$RT" \
    --cgroup-parent "/capsa-docker-$RT" "$IMAGE" sh -c 'tty; exit 4') || rc=$?
  grep -Eqx '/dev/pts/[0-9]+' <<< "$out" || { SL_WHY="tty printed $(printf '%q' "$out")"; return 1; }
  sl_expect "exit status" "$rc" 4
}

# The long-running container: exits 7 on SIGTERM.
t_long_start() {
  local out
  drun -d --name "$RT-long" "$IMAGE" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' \
    > /dev/null 2> "$SL_DIR/stderr" || { ERR "docker run"; return 1; }
  sl_expect state "$(state_of "$RT-long")" running
}

t_exec() {
  local out rc=0
  out=$(d exec "$RT-long" sh -c 'echo exec in $0; exit 5' box 2>"$SL_DIR/stderr") || rc=$?
  sl_expect output "$out" "exec in box" && sl_expect "exit status" "$rc" 5 || ERR "$SL_WHY"
}

t_exec_tty() {
  local out rc=0
  out=$(sl_tty /usr/bin/docker -H "unix://$DOCKER_SOCK" exec -it "$RT-long" sh -c 'tty; exit 6') \
    || rc=$?
  grep -Eqx '/dev/pts/[0-9]+' <<< "$out" || { SL_WHY="tty printed $(printf '%q' "$out")"; return 1; }
  sl_expect "exit status" "$rc" 6
}

t_exec_user() {
  local out
  out=$(d exec --user 65534 -w /tmp "$RT-long" sh -c 'echo $(id -u) $PWD' 2>"$SL_DIR/stderr")
  sl_expect output "$out" "65534 /tmp" || ERR "$SL_WHY"
}

t_exec_missing() {
  local rc=0
  # The client prints the runtime's error on its stdout.
  d exec "$RT-long" /no/such/program > "$SL_DIR/stderr" 2>&1 || rc=$?
  sl_expect "exit status" "$rc" 126 || { ERR "$SL_WHY"; return 1; }
  grep -q 'no such file or directory' "$SL_DIR/stderr" || { ERR "message"; return 1; }
}

t_top() {
  local out
  out=$(d top "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  grep -q 'trap' <<< "$out" || { SL_WHY="no sh in: $out"; return 1; }
}

t_pause() {
  local out
  out=$(d pause "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  sl_expect state "$(state_of "$RT-long")" paused || return 1
  out=$(d unpause "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  sl_expect state "$(state_of "$RT-long")" running
}

# docker restart: the container is created again under the same id.
t_restart() {
  local out
  out=$(d restart -t 10 "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  sl_expect state "$(state_of "$RT-long")" running || return 1
  sl_expect "restart count" "$(d inspect -f '{{.RestartCount}}' "$RT-long")" 0 || return 1
  out=$(d exec "$RT-long" echo again 2>&1)
  sl_expect "exec after restart" "$out" again
}

t_logs() {
  local out
  drun -d --name "$RT-logs" "$IMAGE" sh -c 'echo out; echo err >&2' >/dev/null 2>"$SL_DIR/stderr" \
    || { ERR "docker run"; return 1; }
  sl_expect "exit code" "$(d wait "$RT-logs")" 0 || return 1
  out=$(d logs "$RT-logs" 2>&1 | sort | tr '\n' ' ')
  sl_expect logs "$out" "err out " || return 1
  d rm "$RT-logs" >/dev/null
}

# docker stop sends SIGTERM: the container's trap exits 7 at once.
t_stop() {
  local out t0 t
  t0=$(date +%s%N)
  out=$(d stop -t 10 "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
  t=$((($(date +%s%N) - t0) / 1000000))
  [ "$t" -lt 5000 ] || { SL_WHY="took ${t} ms"; return 1; }
  sl_expect state "$(state_of "$RT-long")" exited || return 1
  sl_expect "exit code" "$(d inspect -f '{{.State.ExitCode}}' "$RT-long")" 7 || return 1
  out=$(d rm "$RT-long" 2>&1) || { SL_WHY=$out; return 1; }
}

# A pid 1 without a SIGTERM handler ignores it: docker stop -t 2 kills it after 2 s.
t_stop_timeout() {
  local out t0 t
  drun -d --name "$RT-stubborn" "$IMAGE" sleep 1000 > /dev/null 2> "$SL_DIR/stderr" \
    || { ERR "docker run"; return 1; }
  t0=$(date +%s%N)
  out=$(d stop -t 2 "$RT-stubborn" 2>&1) || { SL_WHY=$out; return 1; }
  t=$((($(date +%s%N) - t0) / 1000000))
  if [ "$t" -lt 1900 ] || [ "$t" -ge 7000 ]; then SL_WHY="took ${t} ms"; return 1; fi
  sl_expect "exit code" "$(d inspect -f '{{.State.ExitCode}}' "$RT-stubborn")" 137 || return 1
  out=$(d rm "$RT-stubborn" 2>&1) || { SL_WHY=$out; return 1; }
}

t_memory() {
  local out id f
  drun -d --memory 64m --name "$RT-mem" "$IMAGE" sleep 1000 > /dev/null 2> "$SL_DIR/stderr" \
    || { ERR "docker run"; return 1; }
  id=$(d inspect -f '{{.Id}}' "$RT-mem")
  f=/sys/fs/cgroup/memory/capsa-docker-$RT/$id/memory.limit_in_bytes
  [ -f "$f" ] || { SL_WHY="no $f"; return 1; }
  sl_expect "$f" "$(cat "$f")" 67108864
}

t_rm_force() {
  local out
  out=$(d rm -f "$RT-mem" 2>&1) || { SL_WHY=$out; return 1; }
  [ -z "$(d ps -aq --filter "name=^$RT-mem\$")" ] || { SL_WHY="still listed"; return 1; }
}

sl_checks() {
  RT=$1
  sl_check "$RT" "docker import" t_import
  sl_check "$RT" "docker run --rm: output, exit status 3" t_run
  sl_check "$RT" "docker run -i: stdin" t_stdin
  sl_check "$RT" "docker run --user -w" t_user
  sl_check "$RT" "docker run of a missing program: 127" t_missing
  sl_check "$RT" "docker run of a file that is not executable: 126" t_not_executable
  sl_check "$RT" "docker run -d, docker wait, docker logs" t_logs
  sl_check "$RT" "docker run -it: a tty, exit status" t_run_tty
  sl_check "$RT" "docker run -d: running" t_long_start
  sl_check "$RT" "docker exec: output, exit status" t_exec
  sl_check "$RT" "docker exec -it: a tty, exit status" t_exec_tty
  sl_check "$RT" "docker exec --user -w" t_exec_user
  sl_check "$RT" "docker exec of a missing program" t_exec_missing
  sl_check "$RT" "docker top" t_top
  sl_check "$RT" "docker pause, unpause" t_pause
  sl_check "$RT" "docker restart" t_restart
  sl_check "$RT" "docker stop: SIGTERM, in time" t_stop
  sl_check "$RT" "docker stop -t 2: SIGKILL after 2 s" t_stop_timeout
  sl_check "$RT" "docker run --memory: memory.limit_in_bytes" t_memory
  sl_check "$RT" "docker rm -f of a running container" t_rm_force
  sl_check "$RT" "no cgroups left" sl_no_cgroups_left "capsa-docker-$RT"
}

sl_run "$@"
