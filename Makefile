# capsa: the commands README names.
#   make          build target/capsa (jar, JNI library with the native stage, AOT cache)
#   make demo     build, make a busybox bundle and run it
#   make test     every test: unit tests, container tests as root, the engines,
#                 the systemd cgroup driver under a real systemd, and the cgroup v2 VM
#   make install  install to $(PREFIX) (default /usr/local): bin/capsa, lib/capsa/
#   make bench    capsa side by side with runc and crun
JAVA_HOME := $(shell build/find-jdk)
export JAVA_HOME
# Maven 3.8 on JDK 25 warns about its own use of sun.misc.Unsafe.
export MAVEN_OPTS ?= --sun-misc-unsafe-memory-access=allow
MVN = mvn -q -B -Dstyle.color=never
PREFIX ?= /usr/local
DEMO = target/demo

all: build

build:
	$(MVN) package -DskipTests -Dcapsa.skipContainerTests

# Debian's busybox-static is the demo's whole userland.
busybox:
	@tests/need-busybox

demo: build busybox
	@rm -rf $(DEMO) && tests/make-bundle $(DEMO) demo
	@echo "+ bin/capsa --root target/demo-state run --bundle $(DEMO) capsa-demo"
	@bin/capsa --root target/demo-state run --bundle $(DEMO) capsa-demo

test: busybox
	@if [ "$$(id -u)" != 0 ]; then echo "make test: the container tests need root" >&2; exit 1; fi
	$(MVN) verify
	@tests/summary
	$(MAKE) --no-print-directory test-engines
	$(MAKE) --no-print-directory test-systemd
	$(MAKE) --no-print-directory test-containerd-systemd
	$(MAKE) --no-print-directory test-cgroup2

unit:
	$(MVN) test

# Pure cgroup v2, which this machine's hybrid layout cannot give: a VM (QEMU in
# software emulation, Debian's kernel with cgroup_no_v1=all) runs the cgroup
# container tests on the built capsa (tests/cgroup2/run-vm; root, ~8 minutes).
test-cgroup2: build
	tests/cgroup2/run-vm

# The systemd cgroup driver needs systemd as PID 1, which this machine does not
# run: tests/systemd/run boots the host's systemd in a capsa container and runs
# tests/systemd/checks.sh as its one service (root, a few seconds).
test-systemd: build busybox
	tests/systemd/run tests/systemd/checks.sh

# containerd's shim with SystemdCgroup (ctr run --runc-systemd-cgroup), runc
# and capsa, under the same harness (root, ~10 s).
test-containerd-systemd: build busybox
	tests/engines/containerd-systemd.sh

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/capsa
	build/package.sh $(JAVA_HOME) target $(DESTDIR)$(PREFIX)/lib/capsa
	install -m 0755 target/native/capsa $(DESTDIR)$(PREFIX)/bin/capsa
	@echo "installed $(DESTDIR)$(PREFIX)/bin/capsa"

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/lib/capsa $(DESTDIR)$(PREFIX)/bin/capsa

bench: build busybox
	bench/lifecycle.sh

# Each engine (Debian's) runs the same checks with runc and with capsa (root).
test-podman: build busybox
	tests/engines/podman.sh

test-containerd: build busybox
	tests/engines/containerd.sh

test-docker: build busybox
	tests/engines/docker.sh

test-engines: test-podman test-containerd test-docker

clean:
	$(MVN) clean

.PHONY: all build busybox demo test unit install uninstall bench clean test-podman \
  test-containerd test-docker test-engines test-cgroup2 test-systemd test-containerd-systemd
