#!/usr/bin/env bash
# capsa side by side with runc and crun: time of a whole lifecycle, of `run`,
# of `state`; peak RSS of each command; RSS of a container waiting in created
# state. See bench/README.md for what is measured and how to read it.
#
#   bench/lifecycle.sh [--runs N] [--quick]
#
# Needs root, hyperfine, jq, GNU time (/usr/bin/time), Debian's busybox-static
# and a built capsa (make build). runc and crun are optional: a runtime that is
# missing or cannot run the benchmark's container here is reported as skipped.
# The report goes to stdout; hyperfine's progress and notes go to stderr.
set -euo pipefail

usage() {
  echo "usage: $0 [--runs N] [--quick]" >&2
  echo "  --runs N  hyperfine runs per command (default 30; 10 with --quick)" >&2
  echo "  --quick   fewer runs, and 3 instead of 5 repetitions of the memory figures" >&2
  exit 2
}

runs=
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --runs)
      [ $# -ge 2 ] || usage
      runs=$2
      shift 2
      ;;
    --runs=*)
      runs=${1#--runs=}
      shift
      ;;
    --quick)
      quick=1
      shift
      ;;
    -h | --help) usage ;;
    *)
      echo "$0: unknown argument: $1" >&2
      usage
      ;;
  esac
done
if [ "$quick" = 1 ]; then
  : "${runs:=10}"
  memreps=3
else
  : "${runs:=30}"
  memreps=5
fi
case $runs in
  '' | *[!0-9]* | 0 | 1)
    echo "$0: --runs needs a number of at least 2, not '$runs'" >&2
    exit 2
    ;;
esac
warmup=3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
capsa=$repo/bin/capsa
cycle=$here/cycle.sh

say() { echo "lifecycle.sh: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# --- what the benchmark needs -------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (the runtimes create namespaces and mounts)"
missing=
command -v hyperfine >/dev/null 2>&1 || missing="$missing hyperfine"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
[ -x /usr/bin/time ] || missing="$missing time"
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
  missing="$missing busybox-static"
fi
[ -z "$missing" ] || die "missing tools; install them with: apt-get install -y$missing"
[ -x "$cycle" ] || die "$cycle is missing or not executable"
if [ ! -f "$repo/target/capsa/capsa.jar" ] || [ ! -f "$repo/target/capsa/java" ]; then
  die "capsa is not built: run 'make build' in $repo"
fi

# --- temporary state, and leaving nothing behind ------------------------------
names=(capsa runc crun)
declare -A bin=([capsa]=$capsa)
for rt in runc crun; do
  bin[$rt]=$(command -v "$rt" 2>/dev/null || true)
done
declare -A skip=()

tmp=$(mktemp -d /tmp/capsa-bench.XXXXXX)
cleanup() {
  local rc=$? rt root id left
  trap - EXIT INT TERM HUP
  set +e
  for rt in "${names[@]}"; do
    root=$tmp/root-$rt
    [ -d "$root" ] && [ -n "${bin[$rt]}" ] || continue
    for id in $(ls "$root"); do
      "${bin[$rt]}" --root "$root" delete --force "$id" >/dev/null 2>&1
    done
    left=$(ls "$root")
    [ -z "$left" ] || say "warning: $rt could not delete: $left (under $root)"
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Others may rebuild capsa while this runs: note what was measured, and say so
# if it changed underneath.
build_id() {
  { cksum "$repo/target/capsa/capsa.jar" "$repo/target/capsa/capsa.aot" \
    "$repo/target/capsa/libcapsa.so" 2>&1 || true; } | cksum
}
build_before=$(build_id)

# --- the bundle -----------------------------------------------------------------
# capsa spec's defaults (runc spec's have linux.resources, which capsa refuses),
# with no terminal and /bin/true as the process. ociVersion is set to 1.0.2, the
# spec runc 1.1 implements: crun 1.8 refuses a version it does not know
# ("unknown version specified") and capsa spec writes 1.3.0.
bundle=$tmp/bundle
"$repo/tests/make-bundle" "$bundle" plain >/dev/null
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' \
  "$bundle/config.json" >"$tmp/config.json"
mv "$tmp/config.json" "$bundle/config.json"

# --- which runtimes can run it ------------------------------------------------
# One `run`, then one whole cycle.sh, each must exit 0.
for rt in "${names[@]}"; do
  root=$tmp/root-$rt
  if [ -z "${bin[$rt]}" ]; then
    skip[$rt]="not installed"
    continue
  fi
  mkdir -p "$root"
  if "${bin[$rt]}" --root "$root" run --bundle "$bundle" check </dev/null >"$tmp/out" 2>"$tmp/err"; then
    if "$cycle" "${bin[$rt]}" "$root" "$bundle" "$tmp/pid-$rt" check </dev/null >"$tmp/out" 2>"$tmp/err"; then
      continue
    else
      skip[$rt]="bench/cycle.sh (create, start, wait, delete) exited $?: "
    fi
  else
    skip[$rt]="'$rt --root ROOT run --bundle BUNDLE check' exited $?: "
  fi
  skip[$rt]="${skip[$rt]}$(tr '\n' ' ' <"$tmp/err" | cut -c1-300)"
  say "skipping $rt: ${skip[$rt]}"
done
[ -z "${skip[capsa]:-}" ] || die "capsa cannot run the benchmark's container: ${skip[capsa]}"
ok=()
for rt in "${names[@]}"; do
  [ -n "${skip[$rt]:-}" ] || ok+=("$rt")
done

# --- timing: one hyperfine run for every runtime and measure --------------------
# Containers kept in created state for `state`, made before and deleted after.
for rt in "${ok[@]}"; do
  "${bin[$rt]}" --root "$tmp/root-$rt" create --bundle "$bundle" idle </dev/null >/dev/null 2>"$tmp/err" ||
    die "'$rt create' of the container for 'state' failed: $(cat "$tmp/err")"
done

# Arguments are single-quoted: with --shell=none hyperfine splits the command
# line itself, shell-words style.
q() { printf "'%s'" "$1"; }
hf=(hyperfine --shell=none --warmup "$warmup" --runs "$runs" --style basic
  --export-json "$tmp/hyperfine.json")
# `state` first: it makes nothing, and measured after the commands that make
# and tear down containers it would pay for the kernel's asynchronous cleanup
# of their namespaces and cgroups (net namespaces are freed by a workqueue).
for rt in "${ok[@]}"; do
  hf+=(-n "$rt state" "$(q "${bin[$rt]}") --root $(q "$tmp/root-$rt") state idle")
done
# capsa's launcher answers `state` itself; this is what the JVM takes for it, as
# for any command the launcher hands over (through env(1): ~0.5 ms more).
hf+=(-n "capsa state-jvm" "env CAPSA_NO_FAST_PATH=1 $(q "$capsa") --root $(q "$tmp/root-capsa") state idle")
for rt in "${ok[@]}"; do
  hf+=(-n "$rt cycle" "$(q "$cycle") $(q "${bin[$rt]}") $(q "$tmp/root-$rt") $(q "$bundle") $(q "$tmp/pid-$rt") cycle")
done
for rt in "${ok[@]}"; do
  hf+=(-n "$rt run" "$(q "${bin[$rt]}") --root $(q "$tmp/root-$rt") run --bundle $(q "$bundle") run")
done
say "timing: ${#ok[@]} runtimes x 3 measures (and capsa's state through the JVM), $warmup warmup + $runs runs each"
start_time=$SECONDS
"${hf[@]}" </dev/null >&2 || die "hyperfine failed (its output is above)"

for rt in "${ok[@]}"; do
  "${bin[$rt]}" --root "$tmp/root-$rt" delete --force idle >/dev/null 2>"$tmp/err" ||
    die "'$rt delete --force idle' failed: $(cat "$tmp/err")"
done

# --- memory ---------------------------------------------------------------------
# Peak RSS (KiB) of each command per /usr/bin/time -f %M, and VmRSS (KiB) of the
# container's process while it waits in created state; each repeated $memreps times.
say "memory: $memreps repetitions of create, state, start, delete, run per runtime"
timed() { # timed FILE CMD...: runs CMD under GNU time, appends its %M to FILE
  local out=$1
  shift
  if ! /usr/bin/time -f %M -o "$tmp/time" "$@" </dev/null >/dev/null 2>"$tmp/err"; then
    die "'$*' failed: $(cat "$tmp/err")"
  fi
  tail -n 1 "$tmp/time" >>"$out"
}
declare -A waitname=()
for rt in "${ok[@]}"; do
  b=${bin[$rt]}
  root=$tmp/root-$rt
  m=$tmp/mem-$rt
  for _ in $(seq "$memreps"); do
    timed "$m.create" "$b" --root "$root" create --bundle "$bundle" --pid-file "$tmp/pid-$rt" mem
    read -r pid <"$tmp/pid-$rt" || [ -n "${pid:-}" ] # no final newline
    awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status" >>"$m.waiting"
    waitname[$rt]=$(awk '$1 == "Name:" { print $2 }' "/proc/$pid/status")
    timed "$m.state" "$b" --root "$root" state mem
    timed "$m.start" "$b" --root "$root" start mem
    while read -r stat 2>/dev/null <"/proc/$pid/stat"; do
      stat=${stat##*) }
      case $stat in Z* | X*) break ;; esac
    done
    timed "$m.delete" "$b" --root "$root" delete mem
    timed "$m.run" "$b" --root "$root" run --bundle "$bundle" mem
  done
done
elapsed=$((SECONDS - start_time))
rebuilt=
[ "$(build_id)" = "$build_before" ] || rebuilt=1

# --- report ---------------------------------------------------------------------
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
hfget() { # hfget NAME FIELD: seconds
  jq -r --arg n "$1" --arg f "$2" '.results[] | select(.command == $n) | .[$f]' "$tmp/hyperfine.json"
}
hfms() { # hfms NAME FIELD: milliseconds, one decimal
  awk -v s="$(hfget "$1" "$2")" 'BEGIN { printf "%.1f", s * 1000 }'
}
ratio() { # ratio A B, or "-" when either is missing
  if [ "$1" = - ] || [ "$2" = - ]; then echo -; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; fi
}
declare -A med=() sd=()
for rt in "${names[@]}"; do
  for what in cycle run state; do
    if [ -n "${skip[$rt]:-}" ]; then
      med[$rt.$what]=-
      sd[$rt.$what]=-
    else
      med[$rt.$what]=$(hfms "$rt $what" median)
      sd[$rt.$what]=$(hfms "$rt $what" stddev)
    fi
  done
  if [ "$rt" = capsa ]; then
    med[capsa.state-jvm]=$(hfms "capsa state-jvm" median)
    sd[capsa.state-jvm]=$(hfms "capsa state-jvm" stddev)
  fi
  for what in create start state delete run waiting; do
    if [ -n "${skip[$rt]:-}" ]; then
      med[$rt.mem.$what]=-
    else
      med[$rt.mem.$what]=$(awk -v k="$(median "$tmp/mem-$rt.$what")" 'BEGIN { printf "%.2f", k / 1024 }')
    fi
  done
done
cell() { # cell MEDIAN SD
  # 15: printf pads by bytes, and ± is two bytes in UTF-8.
  if [ "$1" = - ]; then printf '%14s' skipped; else printf '%15s' "$1 ± $2"; fi
}
mcell() { if [ "$1" = - ]; then printf '%9s' skipped; else printf '%9s' "$1"; fi; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
version() { # first line of a runtime's --version
  if [ -n "${bin[$1]}" ]; then "${bin[$1]}" --version 2>&1 | head -n 1; else echo "not installed"; fi
}
java=$(cat "$repo/target/capsa/java")
cgroups=$(if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then echo v2; elif [ -d /sys/fs/cgroup/unified ]; then echo "hybrid (v1 + v2 at /sys/fs/cgroup/unified)"; else echo v1; fi)

echo "capsa lifecycle benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  kernel   $(uname -sr), cgroups $cgroups"
echo "  cpu      ${cpu:-unknown} x $(nproc)"
# Read-only git: GIT_OPTIONAL_LOCKS=0 keeps status from refreshing the index.
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "no git")
if [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit, with uncommitted changes"
fi
echo "  capsa    $(version capsa) ($commit)"
echo "  java     $("$java" -version 2>&1 | head -n 1)"
echo "  runc     $(version runc)"
echo "  crun     $(version crun)"
echo "  tools    $(hyperfine --version), GNU time; busybox-static bundle running /bin/true"
for rt in "${names[@]}"; do
  [ -z "${skip[$rt]:-}" ] || echo "  skipped  $rt: ${skip[$rt]}"
done
[ -z "$rebuilt" ] || echo "  WARNING  target/capsa changed while this ran (rebuilt?): capsa's figures may mix two builds"
echo
echo "Time, ms: median ± standard deviation of $runs runs (hyperfine, $warmup warmup runs)"
printf '%-30s%14s%14s%14s%12s%12s\n' "" capsa runc crun capsa/runc capsa/crun
for what in cycle run state; do
  case $what in
    cycle) label="create+start+wait+delete" ;;
    run) label="run /bin/true" ;;
    state) label="state (created container)" ;;
  esac
  printf '%-30s' "$label"
  for rt in "${names[@]}"; do cell "${med[$rt.$what]}" "${sd[$rt.$what]}"; done
  printf '%12s%12s\n' "$(ratio "${med[capsa.$what]}" "${med[runc.$what]}")" \
    "$(ratio "${med[capsa.$what]}" "${med[crun.$what]}")"
done
printf '%-30s' "state, capsa through the JVM"
cell "${med[capsa.state-jvm]}" "${sd[capsa.state-jvm]}"
printf '%14s%14s%12s%12s\n' - - "$(ratio "${med[capsa.state-jvm]}" "${med[runc.state]}")" \
  "$(ratio "${med[capsa.state-jvm]}" "${med[crun.state]}")"
echo
echo "Memory, MiB: median of $memreps; peak RSS of each command (/usr/bin/time %M),"
echo "and VmRSS of the container's process waiting in created state"
printf '%-30s%9s%9s%9s%12s%12s\n' "" capsa runc crun capsa/runc capsa/crun
for what in create start state delete run waiting; do
  case $what in
    waiting) label="waiting process" ;;
    *) label="peak RSS of $what" ;;
  esac
  printf '%-30s' "$label"
  for rt in "${names[@]}"; do mcell "${med[$rt.mem.$what]}"; done
  printf '%12s%12s\n' "$(ratio "${med[capsa.mem.$what]}" "${med[runc.mem.$what]}")" \
    "$(ratio "${med[capsa.mem.$what]}" "${med[crun.mem.$what]}")"
done
waiters=
for rt in "${ok[@]}"; do waiters="$waiters${waiters:+, }$rt: ${waitname[$rt]}"; done
echo "(waiting process: $waiters)"
echo
yesno() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; then echo met; else echo "NOT met"; fi; }
echo "Targets"
echo "  capsa state under 40 ms:                $(yesno "${med[capsa.state]}" 40) (${med[capsa.state]} ms)"
if [ -z "${skip[runc]:-}" ]; then
  echo "  cycle within 2.5x runc's:               $(yesno "$(awk -v a="${med[capsa.cycle]}" -v b="${med[runc.cycle]}" 'BEGIN { print a / b }')" 2.5001) ($(ratio "${med[capsa.cycle]}" "${med[runc.cycle]}"))"
else
  echo "  cycle within 2.5x runc's:               unknown (runc skipped)"
fi
echo "  waiting in created state under 3 MiB:   $(yesno "${med[capsa.mem.waiting]}" 3) (${med[capsa.mem.waiting]} MiB)"
echo
echo "(measured in ${elapsed}s)"
