#!/bin/sh
# Assembles the runnable layout that bin/capsa starts, and trains its AOT cache.
#   package.sh JAVA_HOME TARGET_DIR [DEST]
# DEST (default TARGET_DIR/capsa) gets capsa.jar, libcapsa.so (the JNI library,
# with the native stage inside it), java (the JDK to run) and capsa.aot.
#
# The AOT cache is only used by a JVM with the same java, the same jar path and
# the same flags, so it is trained here, at its final path, with the flags
# bin/capsa passes (keep the two lists the same).
set -eu
java_home=$1
target=$2
dest=${3:-$target/capsa}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd -P)
cp "$target/capsa.jar" "$dest/capsa.jar.new" && mv "$dest/capsa.jar.new" "$dest/capsa.jar"
cp "$target/native/libcapsa.so" "$dest/libcapsa.so.new" && mv "$dest/libcapsa.so.new" "$dest/libcapsa.so"
echo "$java_home/bin/java" > "$dest/java"
# The spec's JSON schemas, read as files (see SchemaValidator.read).
mkdir -p "$dest/schema"
cp "$target/classes/dev/capsa/spec/schema/"*.json "$dest/schema/"
rm -f "$dest/capsa.aot"
train=$(mktemp -d)
trap 'rm -rf "$train"' EXIT
"$java_home/bin/java" -XX:AOTCacheOutput="$dest/capsa.aot" -Xlog:aot=warning,cds=warning \
  -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 \
  -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData --enable-native-access=ALL-UNNAMED \
  -Dcapsa.home="$dest" -cp "$dest/capsa.jar" dev.capsa.cli.Main __train "$train" \
  >/dev/null 2>"$train.log" || { cat "$train.log" >&2; exit 1; }
# The JVM that writes the cache says "Picked up JAVA_TOOL_OPTIONS"; show only real trouble.
grep -v '^Picked up JAVA_TOOL_OPTIONS' "$train.log" >&2 || true
rm -f "$train.log"
[ -s "$dest/capsa.aot" ] || { echo "package.sh: no AOT cache was written" >&2; exit 1; }
