#!/bin/sh
# One full container lifecycle, timed end to end by bench/lifecycle.sh:
#   cycle.sh RUNTIME ROOT BUNDLE PIDFILE ID
# create, start, wait until the container's process has exited, delete.
# The wait reads /proc/PID/stat with the shell's own `read` (no fork per poll)
# and counts a zombie as exited: the process is reparented to PID 1, which may
# reap it late, and every runtime already reports a zombie as "stopped".
set -eu
rt=$1 root=$2 bundle=$3 pidfile=$4 id=$5
"$rt" --root "$root" create --bundle "$bundle" --pid-file "$pidfile" "$id" </dev/null
read -r pid <"$pidfile" || [ -n "${pid:-}" ] # pid files may lack a final newline
"$rt" --root "$root" start "$id"
while read -r stat 2>/dev/null <"/proc/$pid/stat"; do
  stat=${stat##*) }
  case $stat in
    Z* | X*) break ;;
  esac
done
"$rt" --root "$root" delete "$id"
