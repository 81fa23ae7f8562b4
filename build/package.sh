#!/bin/sh
# Assembles the runnable layout that bin/capsa starts, and trains its AOT cache.
#   package.sh JAVA_HOME TARGET_DIR [DEST]
# DEST (default TARGET_DIR/capsa) gets capsa.jar, libcapsa.so (the JNI library,
# with the native stage inside it), java (the JDK to run) and capsa.aot.
#
# DEST also gets capsa, the launcher (native/launcher.c): bin/capsa links to
# it, and `make install` copies it to PREFIX/bin.
#
# The AOT cache is only used by a JVM with the same java, the same jar path and
# the same flags, so it is trained here, at its final path, through the
# launcher itself (CAPSA_AOT_OUTPUT): its flag list is the only one.
set -eu
java_home=$1
target=$2
dest=${3:-$target/capsa}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd -P)
cp "$target/capsa.jar" "$dest/capsa.jar.new" && mv "$dest/capsa.jar.new" "$dest/capsa.jar"
cp "$target/native/libcapsa.so" "$dest/libcapsa.so.new" && mv "$dest/libcapsa.so.new" "$dest/libcapsa.so"
cp "$target/native/capsa" "$dest/capsa.new" && mv "$dest/capsa.new" "$dest/capsa"
echo "$java_home/bin/java" > "$dest/java"
# The spec's JSON schemas, read as files (see SchemaValidator.read).
mkdir -p "$dest/schema"
cp "$target/classes/dev/capsa/spec/schema/"*.json "$dest/schema/"
rm -f "$dest/capsa.aot"
train=$(mktemp -d)
trap 'rm -rf "$train"' EXIT
CAPSA_AOT_OUTPUT="$dest/capsa.aot" "$dest/capsa" __train "$train" \
  >/dev/null 2>"$train.log" || { cat "$train.log" >&2; exit 1; }
# The JVM that writes the cache says "Picked up JAVA_TOOL_OPTIONS"; show only real trouble.
grep -v '^Picked up JAVA_TOOL_OPTIONS' "$train.log" >&2 || true
rm -f "$train.log"
[ -s "$dest/capsa.aot" ] || { echo "package.sh: no AOT cache was written" >&2; exit 1; }
