/*
 * capsa native stage: executes a setup program that the Java runtime compiled.
 *
 * Java decides, this program executes. It holds no policy: no JSON, no
 * defaults, no knowledge of the OCI spec. It reads a linear list of ops (see
 * protocol.h) and runs them in order; the first failure is reported to Java as
 * (op index, errno, "syscall path") and the stage exits. It never writes to its
 * stdio, which belongs to the container.
 *
 *   capsa-stage <sync-fd> <n-extra>
 *
 * At entry fds 0-2 are the container's stdio, 3..sync-fd-1 are fds preserved
 * for the container (--preserve-fds), sync-fd is the SOCK_SEQPACKET socket to
 * Java, and the n-extra fds after it are the stage's own (the console socket).
 * Everything above those was leaked by the parent and is closed first.
 *
 * It is single-threaded on purpose: unshare(CLONE_NEWUSER), setns() into a
 * mount namespace and the fork into a new pid namespace are only allowed, or
 * only safe, in a single-threaded process, which a JVM never is.
 *
 * The process runs from a sealed memfd (see capsa_jni.c), so a container can
 * never overwrite the binary on the host (CVE-2019-5736).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "protocol.h"

struct op {
	uint32_t code, ni, ns;
	int64_t *i;
	char **s;
};

static int sync_fd = -1;
static int root_fd = -1;  /* the root register: in-root paths resolve beneath it */
static int gate_fd = -1;  /* the exec fifo, held until `start` writes to it */
static int cur_op = -1;   /* index of the running op, for error reports */
#define NS_SLOTS 8
static int ns_fds[NS_SLOTS] = { -1, -1, -1, -1, -1, -1, -1, -1 }; /* OP_OPEN_NS */
static int saved_dir = -1; /* the directory a tmpcopyup mount covers, still readable */
#define TREE_SLOTS 32
static int tree_fds[TREE_SLOTS] = { [0 ... TREE_SLOTS - 1] = -1 }; /* for OP_MOVE_TREE */
static char exec_path[PATH_MAX];
static volatile sig_atomic_t gate_signal;

static void send_msg(uint32_t type, int32_t a, int32_t b, const char *text, uint32_t len)
{
	char buf[sizeof(uint32_t) * 4 + 1024];
	uint32_t hdr[4] = { type, (uint32_t)a, (uint32_t)b, len };

	if (len > 1024)
		len = hdr[3] = 1024;
	memcpy(buf, hdr, sizeof hdr);
	if (len)
		memcpy(buf + sizeof hdr, text, len);
	/* Java gone means nobody is left to finish the container: give up. */
	if (send(sync_fd, buf, sizeof hdr + len, MSG_NOSIGNAL) < 0)
		_exit(1);
}

/* Report the running op as failed with errno `err` and exit. */
static void __attribute__((noreturn, format(printf, 2, 3))) fail(int err, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof text)
		n = sizeof text - 1;
	if (sync_fd >= 0)
		send_msg(MSG_ERROR, cur_op, err, text, (uint32_t)n);
	_exit(1);
}

/* Waits until the runtime says to go on. */
/*
 * Waits for MSG_CONTINUE. Java may send detached mounts first (MSG_FD, one fd
 * each): the idmapped mounts it made from the host for OP_MOVE_TREE.
 */
static void recv_continue(void)
{
	for (;;) {
		uint32_t hdr[4];
		char control[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { .iov_base = hdr, .iov_len = sizeof hdr };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof control,
		};
		struct cmsghdr *c;
		ssize_t n = recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC);
		int fd = -1;

		if (n != (ssize_t)sizeof hdr)
			fail(n < 0 ? errno : EPROTO, "recv from the runtime");
		c = CMSG_FIRSTHDR(&msg);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
		if (hdr[0] == MSG_CONTINUE && fd < 0)
			return;
		if (hdr[0] != MSG_FD || fd < 0 || hdr[1] >= TREE_SLOTS || tree_fds[hdr[1]] >= 0)
			fail(EPROTO, "recv from the runtime: unexpected message %u", hdr[0]);
		tree_fds[hdr[1]] = fd;
	}
}

/* Sends one fd to the runtime (SCM_RIGHTS) in a MSG_FD of the given kind. */
static void send_fd(int kind, int fd)
{
	uint32_t hdr[4] = { MSG_FD, (uint32_t)kind, 0, 0 };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = hdr, .iov_len = sizeof hdr };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof control,
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(sync_fd, &msg, MSG_NOSIGNAL) < 0)
		fail(errno, "send fd to the runtime");
}

/* Reads the whole program, which arrives in MSG_PROGRAM chunks. */
static char *read_program(size_t *len)
{
	char pkt[16 + CAPSA_MAX_PACKET];
	size_t have = 0, total = 0;
	char *prog = NULL;

	do {
		uint32_t hdr[4];
		ssize_t n = recv(sync_fd, pkt, sizeof pkt, 0);

		if (n < (ssize_t)sizeof hdr)
			fail(n < 0 ? errno : EPROTO, "recv program");
		memcpy(hdr, pkt, sizeof hdr);
		if (hdr[0] != MSG_PROGRAM || hdr[3] != (uint32_t)n - sizeof hdr)
			fail(EPROTO, "recv program: bad packet");
		if (!prog) {
			total = hdr[1];
			if (total < 12 || total > (64u << 20) || !(prog = malloc(total)))
				fail(ENOMEM, "program of %zu bytes", total);
		}
		if (have + hdr[3] > total)
			fail(EPROTO, "recv program: too long");
		memcpy(prog + have, pkt + sizeof hdr, hdr[3]);
		have += hdr[3];
	} while (have < total);
	*len = total;
	return prog;
}

static uint32_t take_u32(const char *p, size_t len, size_t *off)
{
	uint32_t v;

	if (*off + 4 > len)
		fail(EPROTO, "program truncated");
	memcpy(&v, p + *off, 4);
	*off += 4;
	return v;
}

/* Decodes the program into ops whose strings point into the buffer. */
static struct op *decode(char *p, size_t len, uint32_t *count)
{
	size_t off = 0;
	struct op *ops;

	if (take_u32(p, len, &off) != CAPSA_MAGIC || take_u32(p, len, &off) != CAPSA_VERSION)
		fail(EPROTO, "program: bad magic or version");
	*count = take_u32(p, len, &off);
	if (*count > 100000 || !(ops = calloc(*count ? *count : 1, sizeof *ops)))
		fail(ENOMEM, "program: %u ops", *count);
	for (uint32_t k = 0; k < *count; k++) {
		struct op *o = &ops[k];

		o->code = take_u32(p, len, &off);
		o->ni = take_u32(p, len, &off);
		o->ns = take_u32(p, len, &off);
		if (o->ni > 65536 || o->ns > 65536 || off + 8 * (size_t)o->ni > len)
			fail(EPROTO, "program: op %u too large", k);
		o->i = calloc(o->ni + 1, sizeof *o->i);
		o->s = calloc(o->ns + 1, sizeof *o->s);
		if (!o->i || !o->s)
			fail(ENOMEM, "program: op %u", k);
		memcpy(o->i, p + off, 8 * (size_t)o->ni);
		off += 8 * (size_t)o->ni;
		for (uint32_t j = 0; j < o->ns; j++) {
			uint32_t n = take_u32(p, len, &off);

			if (n == 0 || off + n > len || p[off + n - 1] != '\0')
				fail(EPROTO, "program: op %u string %u", k, j);
			o->s[j] = p + off;
			off += n;
		}
	}
	return ops;
}

static void need(const struct op *o, uint32_t ni, uint32_t ns)
{
	if (o->ni < ni || o->ns < ns)
		fail(EPROTO, "op %u needs %u ints and %u strings", o->code, ni, ns);
}

/* Opens `path` beneath the root register; symlinks cannot lead out of it. */
static int open_in_root(const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(O_CLOEXEC | flags),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	if (root_fd < 0) {
		errno = EBADF;
		return -1;
	}
	return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

/*
 * mkdir -p beneath the root; returns an O_PATH fd of the directory. A
 * component that is a dangling symlink is followed the way openat2 follows
 * symlinks, inside the root, and its target is made (as runc's securejoin
 * MkdirAll does): a mount at /etc/resolv.conf -> /run/... works on an image
 * without /run, and nothing is ever made outside the rootfs.
 */
static int mkdir_in_root(const char *path, mode_t mode)
{
	char buf[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
	int links = 0;

	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
restart:
	for (size_t k = 1, n = strlen(buf); k <= n; k++) {
		char saved = buf[k], *slash;
		int fd, parent;

		if ((saved != '/' && saved != '\0') || buf[k - 1] == '/')
			continue;
		buf[k] = '\0';
		fd = open_in_root(buf, O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			slash = strrchr(buf, '/');
			if (slash && slash != buf) {
				*slash = '\0';
				parent = open_in_root(buf, O_PATH | O_DIRECTORY);
				*slash = '/';
			} else {
				parent = open_in_root("/", O_PATH | O_DIRECTORY);
			}
			if (parent < 0)
				return -1;
			if (mkdirat(parent, slash ? slash + 1 : buf, mode) < 0) {
				int err = errno;
				/* Something open could not follow is there: a dangling symlink? */
				ssize_t t = err != EEXIST ? -1
					: readlinkat(parent, slash ? slash + 1 : buf, target, sizeof target - 1);
				int len;

				close(parent);
				if (t < 0 || ++links > 40) {
					errno = err != EEXIST ? err : t < 0 ? ENOTDIR : ELOOP;
					return -1;
				}
				target[t] = '\0';
				buf[k] = saved;
				if (slash)
					*slash = '\0';
				len = target[0] == '/'
					? snprintf(next, sizeof next, "%s%s", target, buf + k)
					: snprintf(next, sizeof next, "%s/%s%s", slash ? buf : "", target, buf + k);
				if (len < 0 || len >= (int)sizeof next) {
					errno = ENAMETOOLONG;
					return -1;
				}
				memcpy(buf, next, (size_t)len + 1);
				goto restart;
			}
			close(parent);
			fd = open_in_root(buf, O_PATH | O_DIRECTORY);
		}
		if (fd < 0)
			return -1;
		buf[k] = saved;
		if (saved == '\0')
			return fd;
		close(fd);
	}
	return open_in_root(buf, O_PATH | O_DIRECTORY);
}

/*
 * Opens the parent directory of `path` beneath the root, making it if needed,
 * and points *base at the last component (within `buf`).
 */
static int open_parent(const char *path, char *buf, size_t size, char **base)
{
	size_t n = strlen(path);
	char *slash;
	int fd;

	if (n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(buf, path, n + 1);	/* path may be buf itself */
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || slash[1] == '\0') {
		errno = EINVAL;
		return -1;
	}
	*base = slash + 1;
	if (slash == buf)
		return open_in_root("/", O_PATH | O_DIRECTORY);
	*slash = '\0';
	fd = mkdir_in_root(buf, 0755);
	*slash = '/';
	return fd;
}

static void fd_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

static int make_target(const char *target, int create)
{
	char buf[PATH_MAX], link[PATH_MAX], next[PATH_MAX], *base;
	const char *path = target;
	int parent, fd, links = 0;

	if (create == CREATE_DIR)
		return mkdir_in_root(target, 0755);
	for (;;) {
		fd = open_in_root(path, O_PATH);
		if (fd >= 0 || errno != ENOENT || create != CREATE_FILE)
			return fd;
		parent = open_parent(path, buf, sizeof buf, &base);
		if (parent < 0)
			return -1;
		fd = openat(parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != ELOOP) {
			close(parent);
			break;
		}
		/* A dangling symlink: make its target, inside the root (see mkdir_in_root). */
		ssize_t t = readlinkat(parent, base, link, sizeof link - 1);

		close(parent);
		if (t < 0 || ++links > 40) {
			errno = t < 0 ? errno : ELOOP;
			return -1;
		}
		link[t] = '\0';
		base[-1] = '\0';
		if (snprintf(next, sizeof next, link[0] == '/' ? "%s%s" : "%s/%s",
			     link[0] == '/' ? "" : buf, link) >= (int)sizeof next) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(buf, next, strlen(next) + 1);
		path = buf;
	}
	if (fd < 0 && errno != EEXIST)
		return -1;
	if (fd >= 0)
		close(fd);
	return open_in_root(path, O_PATH);
}

static const char *opt(const char *s)
{
	return s[0] ? s : NULL;
}

static void op_mount(const struct op *o)
{
	char proc[64];
	const char *target = o->s[1];
	int fd = -1;

	need(o, 3, 4);
	if (o->i[1] == TARGET_IN_ROOT) {
		fd = make_target(o->s[1], (int)o->i[2]);
		if (fd < 0)
			fail(errno, "open %s in the rootfs", o->s[1]);
		/*
		 * Mount onto the fd we resolved, not onto the path: a path would be
		 * walked again by mount(2) without RESOLVE_IN_ROOT, so a symlink
		 * swapped in between could point the mount at the host.
		 */
		fd_path(proc, sizeof proc, fd);
		target = proc;
	}
	if (mount(opt(o->s[0]), target, opt(o->s[2]), (unsigned long)o->i[0], opt(o->s[3])) < 0)
		fail(errno, "mount %s on %s", o->s[0][0] ? o->s[0] : o->s[2], o->s[1]);
	if (fd >= 0)
		close(fd);
}

/* Puts a detached mount Java sent (an idmapped bind mount made from the host) in place. */
static void op_move_tree(const struct op *o)
{
	int fd, slot;

	need(o, 2, 1);
	slot = (int)o->i[0];
	if (slot < 0 || slot >= TREE_SLOTS || tree_fds[slot] < 0)
		fail(EPROTO, "move tree: no mount in slot %d", slot);
	fd = make_target(o->s[0], (int)o->i[1]);
	if (fd < 0)
		fail(errno, "open %s in the rootfs", o->s[0]);
	if (move_mount(tree_fds[slot], "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail(errno, "move_mount %s", o->s[0]);
	close(tree_fds[slot]);
	tree_fds[slot] = -1;
	close(fd);
}

static void op_mount_setattr(const struct op *o)
{
	struct mount_attr attr = { 0 };
	int fd;

	need(o, 4, 1);
	attr.attr_set = (uint64_t)o->i[0];
	attr.attr_clr = (uint64_t)o->i[1];
	attr.propagation = (uint64_t)o->i[2];
	fd = open_in_root(o->s[0], O_PATH);
	if (fd < 0)
		fail(errno, "open %s in the rootfs", o->s[0]);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (o->i[3] ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
		fail(errno, "mount_setattr %s", o->s[0]);
	close(fd);
}

static void op_symlink(const struct op *o)
{
	char buf[PATH_MAX], *base;
	int parent;

	need(o, 1, 2);
	parent = open_parent(o->s[1], buf, sizeof buf, &base);
	if (parent < 0)
		fail(errno, "open the parent of %s in the rootfs", o->s[1]);
	if (o->i[0] && unlinkat(parent, base, 0) < 0 && errno != ENOENT)
		fail(errno, "unlink %s", o->s[1]);
	if (symlinkat(o->s[0], parent, base) < 0 && errno != EEXIST)
		fail(errno, "symlink %s -> %s", o->s[1], o->s[0]);
	close(parent);
}

static void op_mknod(const struct op *o)
{
	char buf[PATH_MAX], *base;
	mode_t mode;
	dev_t dev;
	int parent;
	struct stat st;

	need(o, 5, 1);
	mode = (mode_t)o->i[0];
	dev = makedev((unsigned)o->i[1], (unsigned)o->i[2]);
	parent = open_parent(o->s[0], buf, sizeof buf, &base);
	if (parent < 0)
		fail(errno, "open the parent of %s in the rootfs", o->s[0]);
	if (mknodat(parent, base, mode, dev) < 0) {
		if (errno != EEXIST)
			fail(errno, "mknod %s", o->s[0]);
		/* config-linux.md: a file that is not the requested device is an error. */
		if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			fail(errno, "stat %s", o->s[0]);
		if ((st.st_mode & S_IFMT) != (mode & S_IFMT) ||
		    ((mode & S_IFMT) != S_IFIFO && st.st_rdev != dev))
			fail(EEXIST, "mknod %s: a different file exists there", o->s[0]);
	}
	/* The mode is exact: the caller's umask must not apply. */
	if (fchmodat(parent, base, mode & 07777, 0) < 0)
		fail(errno, "chmod %s", o->s[0]);
	if (fchownat(parent, base, (uid_t)o->i[3], (gid_t)o->i[4], AT_SYMLINK_NOFOLLOW) < 0)
		fail(errno, "chown %s", o->s[0]);
	close(parent);
}

static void op_pivot_root(const char *rootfs)
{
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0)
		fail(errno, "open /");
	if (newroot < 0)
		fail(errno, "open %s", rootfs);
	if (fchdir(newroot) < 0)
		fail(errno, "chdir %s", rootfs);
	/*
	 * pivot_root(".", ".") stacks the old root on top of the new one, so no
	 * put_old directory is needed inside the container (the runc trick).
	 */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(errno, "pivot_root %s", rootfs);
	/*
	 * "." is now the old root by the current kernel's behaviour, but nothing
	 * guarantees it: go there explicitly.
	 */
	if (fchdir(oldroot) < 0)
		fail(errno, "chdir to the old root");
	/*
	 * Make the old root rslave so that the unmount below cannot propagate to
	 * the host's mounts, then detach it (it is our cwd, hence MNT_DETACH).
	 */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail(errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		fail(errno, "unmount the old root");
	if (chdir("/") < 0)
		fail(errno, "chdir /");
	close(oldroot);
	close(newroot);
}

static void op_move_root(const char *rootfs)
{
	/* --no-pivot: move the rootfs over / and chroot into it (as runc does). */
	if (chdir(rootfs) < 0)
		fail(errno, "chdir %s", rootfs);
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		fail(errno, "move %s to /", rootfs);
	if (chroot(".") < 0)
		fail(errno, "chroot %s", rootfs);
	if (chdir("/") < 0)
		fail(errno, "chdir /");
}

static void op_write_file(const struct op *o)
{
	const char *data;
	size_t len;
	int fd;

	need(o, 1, 2);
	if (o->i[0]) {
		struct open_how how = {
			.flags = O_WRONLY | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		fd = (int)syscall(SYS_openat2, root_fd, o->s[0], &how, sizeof how);
	} else {
		fd = open(o->s[0], O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0)
		fail(errno, "open %s", o->s[0]);
	data = o->s[1];
	len = strlen(data);
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(errno, "write %s", o->s[0]);
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		fail(errno, "close %s", o->s[0]);
}

static void op_mask_path(const char *path)
{
	char proc[64];
	struct stat st;
	int fd = open_in_root(path, O_PATH);

	/* A path that does not exist in this container needs no mask (runc). */
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		fail(errno, "open %s in the rootfs", path);
	if (fstat(fd, &st) < 0)
		fail(errno, "stat %s", path);
	fd_path(proc, sizeof proc, fd);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", proc, "tmpfs", MS_RDONLY, NULL) < 0)
			fail(errno, "mount tmpfs on %s", path);
	} else if (mount("/dev/null", proc, NULL, MS_BIND, NULL) < 0) {
		fail(errno, "bind /dev/null on %s", path);
	}
	close(fd);
}

static void op_readonly_path(const char *path)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	int fd = open_in_root(path, O_PATH);
	int tree;

	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		fail(errno, "open %s in the rootfs", path);
	/*
	 * Clone the subtree, make the clone read-only while it is detached, then
	 * put it over the original: no window where the path is a writable bind.
	 */
	tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		fail(errno, "open_tree %s", path);
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
		fail(errno, "mount_setattr %s", path);
	if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail(errno, "move_mount %s", path);
	close(tree);
	close(fd);
}

static void op_capset(const struct op *o)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	need(o, 3, 0);
	for (int k = 0; k < 2; k++) {
		data[k].effective = (uint32_t)((uint64_t)o->i[0] >> (32 * k));
		data[k].permitted = (uint32_t)((uint64_t)o->i[1] >> (32 * k));
		data[k].inheritable = (uint32_t)((uint64_t)o->i[2] >> (32 * k));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail(errno, "capset");
}

static void op_find_exec(const char *file, const char *path)
{
	struct stat st;
	int denied = 0;

	if (strchr(file, '/')) {
		if (stat(file, &st) < 0)
			fail(errno, "exec %s", file);
		if (!S_ISREG(st.st_mode) || faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) < 0)
			fail(S_ISREG(st.st_mode) ? errno : EACCES, "exec %s", file);
		snprintf(exec_path, sizeof exec_path, "%s", file);
		return;
	}
	for (const char *p = path; ; p++) {
		const char *end = strchrnul(p, ':');
		int n;

		/* An empty PATH entry means the current directory, as in execvp. */
		if (end == p)
			n = snprintf(exec_path, sizeof exec_path, "%s", file);
		else
			n = snprintf(exec_path, sizeof exec_path, "%.*s/%s", (int)(end - p), p, file);
		if (n > 0 && n < (int)sizeof exec_path && stat(exec_path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (faccessat(AT_FDCWD, exec_path, X_OK, AT_EACCESS) == 0)
				return;
			denied = 1;
		}
		if (*end == '\0')
			break;
		p = end;
	}
	exec_path[0] = '\0';
	fail(denied ? EACCES : ENOENT, "exec %s: not found in PATH %s", file, path);
}

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Loads the seccomp filter that Java compiled with libseccomp. As runc does,
 * it is loaded as late as it can be and before the gate: after it, only the
 * gate's few syscalls (sendmsg, close, ppoll, read, rt_sigprocmask, execve)
 * run. With a notify action the kernel hands back a listener fd, which goes
 * to the runtime for the seccomp agent.
 */
static void op_seccomp(const struct op *o)
{
	struct sock_fprog prog;
	const char *hex;
	size_t n;
	long r;

	need(o, 1, 1);
	hex = o->s[0];
	n = strlen(hex);
	if (n == 0 || n % (2 * sizeof(struct sock_filter)) != 0)
		fail(EPROTO, "seccomp: bad program");
	prog.len = (unsigned short)(n / (2 * sizeof(struct sock_filter)));
	prog.filter = malloc(n / 2);
	if (!prog.filter)
		fail(ENOMEM, "seccomp");
	for (size_t k = 0; k < n / 2; k++) {
		int hi = unhex(hex[2 * k]), lo = unhex(hex[2 * k + 1]);

		if (hi < 0 || lo < 0)
			fail(EPROTO, "seccomp: bad program");
		((unsigned char *)prog.filter)[k] = (unsigned char)(hi << 4 | lo);
	}
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)o->i[0], &prog);
	if (r < 0)
		fail(errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
	if ((unsigned long)o->i[0] & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		send_fd(FD_SECCOMP_LISTENER, (int)r);
		close((int)r);
	}
	free(prog.filter);
}

/*
 * process.terminal: a pty from the container's own devpts (it runs after
 * pivot_root), its master sent to the --console-socket, its slave made the
 * controlling terminal, stdio and (for a container's first process, i[4])
 * /dev/console.
 */
static void op_terminal(const struct op *o)
{
	int console, master, slave, unlock = 0, n;
	char name[64];
	struct winsize ws = { 0 };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr msg = { 0 };
	struct cmsghdr *c;

	need(o, 5, 0);
	console = (int)o->i[0];
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		fail(errno, "open /dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		fail(errno, "unlock the pty");
	if (ioctl(master, TIOCGPTN, &n) < 0)
		fail(errno, "get the pty number");
	snprintf(name, sizeof name, "/dev/pts/%d", n);
	/* TIOCGPTPEER opens the slave through the master: no path to race on. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		fail(errno, "open the pty slave %s", name);
	if (o->i[3] >= 0 && fchown(slave, (uid_t)o->i[3], (gid_t)-1) < 0)
		fail(errno, "chown %s", name);
	if (o->i[1] > 0 || o->i[2] > 0) {
		ws.ws_row = (unsigned short)o->i[1];
		ws.ws_col = (unsigned short)o->i[2];
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			fail(errno, "set the console size");
	}
	/* As runc does: the pty's name as the payload, the master as the fd. */
	iov.iov_base = name;
	iov.iov_len = strlen(name);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof control;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof master);
	if (sendmsg(console, &msg, MSG_NOSIGNAL) < 0)
		fail(errno, "send the pty master to the console socket");
	close(master);
	close(console);
	/* We are a session leader since the fork (OP_FORK). */
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail(errno, "make %s the controlling terminal", name);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			fail(errno, "dup2 %s to fd %d", name, fd);
	close(slave);
	if (!o->i[4])
		return;
	/* config-linux.md: /dev/console is a bind mount of the pty. */
	n = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (n < 0)
		fail(errno, "create /dev/console");
	close(n);
	if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
		fail(errno, "bind %s on /dev/console", name);
}

/* The kernel's struct sched_attr (sched_setattr(2)); glibc has no wrapper. */
struct capsa_sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

static void op_sched(const struct op *o)
{
	struct capsa_sched_attr a = { .size = sizeof a };

	need(o, 7, 0);
	a.sched_policy = (uint32_t)o->i[0];
	a.sched_flags = (uint64_t)o->i[1];
	a.sched_nice = (int32_t)o->i[2];
	a.sched_priority = (uint32_t)o->i[3];
	a.sched_runtime = (uint64_t)o->i[4];
	a.sched_deadline = (uint64_t)o->i[5];
	a.sched_period = (uint64_t)o->i[6];
	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		fail(errno, "sched_setattr policy %u", a.sched_policy);
}

/* Copies one directory tree into another, keeping modes, owners and times. */
static void copy_tree(int src, int dst, const char *where)
{
	int scan = dup(src);
	DIR *d = scan < 0 ? NULL : fdopendir(scan);
	struct dirent *e;

	if (!d)
		fail(errno, "tmpcopyup: read %s", where);
	while ((e = readdir(d))) {
		struct stat st;
		struct timespec times[2];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(src, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			fail(errno, "tmpcopyup: stat %s/%s", where, e->d_name);
		if (S_ISDIR(st.st_mode)) {
			int s, t;

			if (mkdirat(dst, e->d_name, 0700) < 0)
				fail(errno, "tmpcopyup: mkdir %s/%s", where, e->d_name);
			s = openat(src, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			t = openat(dst, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s < 0 || t < 0)
				fail(errno, "tmpcopyup: open %s/%s", where, e->d_name);
			copy_tree(s, t, e->d_name);
			close(s);
			close(t);
		} else if (S_ISREG(st.st_mode)) {
			int s = openat(src, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int t = openat(dst, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			char buf[65536];
			ssize_t n;

			if (s < 0 || t < 0)
				fail(errno, "tmpcopyup: open %s/%s", where, e->d_name);
			while ((n = read(s, buf, sizeof buf)) > 0)
				if (write(t, buf, (size_t)n) != n)
					fail(errno, "tmpcopyup: write %s/%s", where, e->d_name);
			if (n < 0)
				fail(errno, "tmpcopyup: read %s/%s", where, e->d_name);
			close(s);
			close(t);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(src, e->d_name, target, sizeof target - 1);

			if (n < 0)
				fail(errno, "tmpcopyup: readlink %s/%s", where, e->d_name);
			target[n] = '\0';
			if (symlinkat(target, dst, e->d_name) < 0)
				fail(errno, "tmpcopyup: symlink %s/%s", where, e->d_name);
		} else if (mknodat(dst, e->d_name, st.st_mode, st.st_rdev) < 0) {
			fail(errno, "tmpcopyup: mknod %s/%s", where, e->d_name);
		}
		if (fchownat(dst, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			fail(errno, "tmpcopyup: chown %s/%s", where, e->d_name);
		if (!S_ISLNK(st.st_mode) && fchmodat(dst, e->d_name, st.st_mode & 07777, 0) < 0)
			fail(errno, "tmpcopyup: chmod %s/%s", where, e->d_name);
		times[0] = st.st_atim;
		times[1] = st.st_mtim;
		if (utimensat(dst, e->d_name, times, AT_SYMLINK_NOFOLLOW) < 0)
			fail(errno, "tmpcopyup: utimes %s/%s", where, e->d_name);
	}
	closedir(d);
}

/*
 * tmpcopyup: before the tmpfs goes over a directory we keep an fd of it
 * (OP_SAVE_DIR); covered, it is still readable through the fd, and
 * OP_COPY_UP copies it into the new tmpfs.
 */
static void op_copy_up(const char *path)
{
	struct stat st;
	int dst;

	if (saved_dir < 0)
		return;
	dst = open_in_root(path, O_RDONLY | O_DIRECTORY);
	if (dst < 0)
		fail(errno, "open %s in the rootfs", path);
	copy_tree(saved_dir, dst, path);
	if (fstat(saved_dir, &st) == 0 && (fchown(dst, st.st_uid, st.st_gid) < 0 ||
					   fchmod(dst, st.st_mode & 07777) < 0))
		fail(errno, "tmpcopyup: chown/chmod %s", path);
	close(dst);
	close(saved_dir);
	saved_dir = -1;
}

/*
 * An idmapped mount (mount_setattr MOUNT_ATTR_IDMAP) can only be made of a
 * detached mount: clone the mount at the target, idmap the clone, unmount the
 * original and put the clone in its place.
 */
static void op_idmap(const struct op *o)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	unsigned int rec = o->i[0] ? AT_RECURSIVE : 0;
	char proc[64];
	int fd, tree, userns;

	need(o, 1, 2);
	userns = open(o->s[1], O_RDONLY | O_CLOEXEC);
	if (userns < 0)
		fail(errno, "open %s", o->s[1]);
	attr.userns_fd = (uint64_t)userns;
	fd = open_in_root(o->s[0], O_PATH);
	if (fd < 0)
		fail(errno, "open %s in the rootfs", o->s[0]);
	/* The whole tree at the target (an rbind's submounts too); only ridmap idmaps them. */
	tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		fail(errno, "open_tree %s", o->s[0]);
	if (mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0)
		fail(errno, "mount_setattr MOUNT_ATTR_IDMAP %s", o->s[0]);
	fd_path(proc, sizeof proc, fd);
	if (umount2(proc, MNT_DETACH) < 0)
		fail(errno, "umount %s", o->s[0]);
	close(fd);
	fd = open_in_root(o->s[0], O_PATH);
	if (fd < 0)
		fail(errno, "open %s in the rootfs", o->s[0]);
	if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail(errno, "move_mount %s", o->s[0]);
	close(tree);
	close(fd);
	close(userns);
}

static void op_mask(const struct op *o, int is_mempolicy)
{
	unsigned long mask[16] = { 0 };
	uint32_t first = is_mempolicy ? 1 : 0;
	uint32_t words = o->ni - first;

	if (words > 16)
		fail(EPROTO, "mask too long");
	for (uint32_t k = 0; k < words; k++)
		mask[k] = (unsigned long)o->i[first + k];
	if (is_mempolicy) {
		if (syscall(SYS_set_mempolicy, (int)o->i[0], words ? mask : NULL,
			    words ? (unsigned long)words * 64 + 1 : 0) < 0)
			fail(errno, "set_mempolicy mode 0x%llx", (unsigned long long)o->i[0]);
	} else if (sched_setaffinity(0, sizeof mask, (cpu_set_t *)mask) < 0) {
		fail(errno, "sched_setaffinity");
	}
}

static int kills_by_default(int sig)
{
	switch (sig) {
	case SIGKILL: case SIGSTOP: case SIGCHLD: case SIGCONT: case SIGURG:
	case SIGWINCH: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return 0;
	}
	return 1;
}

static void on_gate_signal(int sig)
{
	gate_signal = sig;
}

/*
 * A signal that `kill` sends while we wait at the gate must end the
 * container. As pid 1 of a new pid namespace, though, the kernel drops every
 * signal without a handler except SIGKILL, so we catch them and exit by hand.
 */
static void __attribute__((noreturn)) die_of(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	if (getpid() != 1) {
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
	}
	_exit(128 + sig);
}

static void op_wait_gate(void)
{
	struct sigaction sa = { .sa_handler = on_gate_signal };
	sigset_t all, none;
	char byte;

	if (gate_fd < 0)
		fail(EBADF, "wait at the gate: no fifo open");
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (kills_by_default(sig) && sig != SIGKILL)
			sigaction(sig, &sa, NULL);
	send_msg(MSG_READY, 0, 0, NULL, 0);
	close(sync_fd);
	sync_fd = -1;
	for (;;) {
		struct pollfd p = { .fd = gate_fd, .events = POLLIN };
		int r;

		if (gate_signal)
			die_of(gate_signal);
		r = ppoll(&p, 1, NULL, &none);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			_exit(1);
		if (read(gate_fd, &byte, 1) == 1)
			break;
	}
	close(gate_fd);
	gate_fd = -1;
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (kills_by_default(sig) && sig != SIGKILL)
			sigaction(sig, &sa, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void op_exec(const struct op *o)
{
	size_t argc;
	char **envp;

	need(o, 1, 1);
	argc = (size_t)o->i[0];
	if (argc < 1 || argc > o->ns)
		fail(EPROTO, "exec: bad argc");
	/* argv and envp are NULL-terminated slices of the op's strings. */
	envp = calloc(o->ns - argc + 1, sizeof *envp);
	if (!envp)
		fail(ENOMEM, "exec");
	memcpy(envp, o->s + argc, (o->ns - argc) * sizeof *envp);
	o->s[argc] = NULL;
	execve(exec_path[0] ? exec_path : o->s[0], o->s, envp);
	/* After the gate nobody listens on the socket; exit as a shell would. */
	if (sync_fd >= 0)
		fail(errno, "execve %s", exec_path[0] ? exec_path : o->s[0]);
	_exit(errno == ENOENT ? 127 : 126);
}

static void run(const struct op *o)
{
	switch (o->code) {
	case OP_UNSHARE:
		need(o, 1, 0);
		if (unshare((int)o->i[0]) < 0)
			fail(errno, "unshare 0x%llx", (unsigned long long)o->i[0]);
		break;
	case OP_SETNS: {
		int fd, slot;

		need(o, 1, 1);
		slot = o->ni > 1 ? (int)o->i[1] : -1;
		if (slot >= 0 && slot < NS_SLOTS && ns_fds[slot] >= 0) {
			fd = ns_fds[slot];
			ns_fds[slot] = -1;
		} else {
			fd = open(o->s[0], O_RDONLY | O_CLOEXEC);
		}
		if (fd < 0)
			fail(errno, "open %s", o->s[0]);
		/* With nstype set the kernel checks the namespace's type for us. */
		if (setns(fd, (int)o->i[0]) < 0)
			fail(errno, "setns %s", o->s[0]);
		close(fd);
		break;
	}
	case OP_OPEN_NS: {
		/* Opened before any join: once we are in the container's mount
		 * namespace, /proc/PID of the host is no longer there to open. */
		need(o, 1, 1);
		if (o->i[0] < 0 || o->i[0] >= NS_SLOTS)
			fail(EPROTO, "open namespace: bad slot");
		ns_fds[o->i[0]] = open(o->s[0], O_RDONLY | O_CLOEXEC);
		if (ns_fds[o->i[0]] < 0)
			fail(errno, "open %s", o->s[0]);
		break;
	}
	case OP_FORK: {
		pid_t pid;
		int status, told[2];
		char c = 0;

		need(o, 1, 0);
		/*
		 * The child shares our socket to Java. Until we have sent its
		 * pid, it must not send anything: Java reads the first message
		 * after the fork as MSG_PID, and a child's READY or SYNC
		 * arriving first would leave Java without the pid. So the child
		 * waits on a pipe we close once MSG_PID is out.
		 */
		if (pipe2(told, O_CLOEXEC) < 0)
			fail(errno, "pipe");
		pid = fork();
		if (pid < 0)
			fail(errno, "fork");
		if (pid > 0) {
			close(told[0]);
			send_msg(MSG_PID, pid, 0, NULL, 0);
			close(told[1]);
			if (o->i[0]) {
				while (waitpid(pid, &status, 0) < 0)
					if (errno != EINTR)
						fail(errno, "waitpid %d", (int)pid);
				send_msg(MSG_EXIT, status, 0, NULL, 0);
			}
			_exit(0);
		}
		close(told[1]);
		while (read(told[0], &c, 1) < 0 && errno == EINTR)
			;
		close(told[0]);
		/* Like runc's init: a session of its own, away from the caller's
		 * terminal and process group (a Ctrl-C at `capsa create` must not
		 * reach the container). */
		if (setsid() < 0)
			fail(errno, "setsid");
		break;
	}
	case OP_SYNC: {
		need(o, 1, 0);
		send_msg(MSG_SYNC, (int32_t)o->i[0], 0, NULL, 0);
		recv_continue();
		break;
	}
	case OP_OPEN_ROOT: {
		int fd;

		need(o, 0, 1);
		fd = open(o->s[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fail(errno, "open %s", o->s[0]);
		if (root_fd >= 0)
			close(root_fd);
		root_fd = fd;
		break;
	}
	case OP_MOUNT:
		op_mount(o);
		break;
	case OP_MOUNT_SETATTR:
		op_mount_setattr(o);
		break;
	case OP_MKDIR: {
		int fd;

		need(o, 1, 1);
		fd = mkdir_in_root(o->s[0], (mode_t)o->i[0]);
		if (fd < 0)
			fail(errno, "mkdir %s", o->s[0]);
		close(fd);
		break;
	}
	case OP_SYMLINK:
		op_symlink(o);
		break;
	case OP_MKNOD:
		op_mknod(o);
		break;
	case OP_PIVOT_ROOT:
		need(o, 0, 1);
		op_pivot_root(o->s[0]);
		break;
	case OP_MOVE_ROOT:
		need(o, 0, 1);
		op_move_root(o->s[0]);
		break;
	case OP_SETHOSTNAME:
		need(o, 0, 1);
		if (sethostname(o->s[0], strlen(o->s[0])) < 0)
			fail(errno, "sethostname %s", o->s[0]);
		break;
	case OP_SETDOMAINNAME:
		need(o, 0, 1);
		if (setdomainname(o->s[0], strlen(o->s[0])) < 0)
			fail(errno, "setdomainname %s", o->s[0]);
		break;
	case OP_WRITE_FILE:
		op_write_file(o);
		break;
	case OP_MASK_PATH:
		need(o, 0, 1);
		op_mask_path(o->s[0]);
		break;
	case OP_READONLY_PATH:
		need(o, 0, 1);
		op_readonly_path(o->s[0]);
		break;
	case OP_SETRLIMIT: {
		struct rlimit rl;

		need(o, 3, 0);
		rl.rlim_cur = (rlim_t)o->i[1];
		rl.rlim_max = (rlim_t)o->i[2];
		if (prlimit(0, (int)o->i[0], &rl, NULL) < 0)
			fail(errno, "setrlimit %lld", (long long)o->i[0]);
		break;
	}
	case OP_CHDIR:
		need(o, 0, 1);
		if (chdir(o->s[0]) < 0)
			fail(errno, "chdir %s", o->s[0]);
		break;
	case OP_SETGROUPS: {
		gid_t *gids = calloc(o->ni + 1, sizeof *gids);

		if (!gids)
			fail(ENOMEM, "setgroups");
		for (uint32_t k = 0; k < o->ni; k++)
			gids[k] = (gid_t)o->i[k];
		if (setgroups(o->ni, gids) < 0)
			fail(errno, "setgroups");
		free(gids);
		break;
	}
	case OP_SETRESGID:
		need(o, 1, 0);
		if (setresgid((gid_t)o->i[0], (gid_t)o->i[0], (gid_t)o->i[0]) < 0)
			fail(errno, "setresgid %lld", (long long)o->i[0]);
		break;
	case OP_SETRESUID:
		need(o, 1, 0);
		if (setresuid((uid_t)o->i[0], (uid_t)o->i[0], (uid_t)o->i[0]) < 0)
			fail(errno, "setresuid %lld", (long long)o->i[0]);
		break;
	case OP_UMASK:
		need(o, 1, 0);
		umask((mode_t)o->i[0]);
		break;
	case OP_CAPBSET_DROP:
		need(o, 2, 0);
		for (int cap = 0; cap <= (int)o->i[1]; cap++)
			if (!((uint64_t)o->i[0] & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
				fail(errno, "drop capability %d from the bounding set", cap);
		break;
	case OP_CAPSET:
		op_capset(o);
		break;
	case OP_CAP_AMBIENT:
		need(o, 2, 0);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
			fail(errno, "clear the ambient capabilities");
		for (int cap = 0; cap <= (int)o->i[1]; cap++)
			if (((uint64_t)o->i[0] & (1ull << cap)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
				fail(errno, "raise ambient capability %d", cap);
		break;
	case OP_KEEPCAPS:
		need(o, 1, 0);
		if (prctl(PR_SET_KEEPCAPS, (unsigned long)o->i[0], 0, 0, 0) < 0)
			fail(errno, "prctl PR_SET_KEEPCAPS");
		break;
	case OP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			fail(errno, "prctl PR_SET_NO_NEW_PRIVS");
		break;
	case OP_OPEN_GATE:
		need(o, 0, 1);
		/*
		 * O_RDWR keeps a writer on the fifo (ourselves), so poll() reports
		 * only data and never a hang-up; a reader also lets `start` open it
		 * with O_NONBLOCK, which fails with ENXIO once we are gone.
		 */
		gate_fd = open(o->s[0], O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (gate_fd < 0)
			fail(errno, "open %s", o->s[0]);
		break;
	case OP_WAIT_GATE:
		op_wait_gate();
		break;
	case OP_FIND_EXEC:
		need(o, 0, 2);
		op_find_exec(o->s[0], o->s[1]);
		break;
	case OP_EXEC:
		op_exec(o);
		break;
	case OP_SECCOMP:
		op_seccomp(o);
		break;
	case OP_TERMINAL:
		op_terminal(o);
		break;
	case OP_SCHED:
		op_sched(o);
		break;
	case OP_IOPRIO:
		need(o, 1, 0);
		/* ioprio_set(IOPRIO_WHO_PROCESS, self, value) */
		if (syscall(SYS_ioprio_set, 1, 0, (int)o->i[0]) < 0)
			fail(errno, "ioprio_set 0x%llx", (unsigned long long)o->i[0]);
		break;
	case OP_AFFINITY:
		op_mask(o, 0);
		break;
	case OP_PERSONALITY:
		need(o, 1, 0);
		if (personality((unsigned long)o->i[0]) < 0)
			fail(errno, "personality 0x%llx", (unsigned long long)o->i[0]);
		break;
	case OP_MEMPOLICY:
		need(o, 1, 0);
		op_mask(o, 1);
		break;
	case OP_MOVE_TREE:
		op_move_tree(o);
		break;
	case OP_IDMAP:
		op_idmap(o);
		break;
	case OP_SAVE_DIR:
		need(o, 0, 1);
		saved_dir = open_in_root(o->s[0], O_RDONLY | O_DIRECTORY);
		if (saved_dir < 0 && errno != ENOENT)
			fail(errno, "open %s in the rootfs", o->s[0]);
		break;
	case OP_COPY_UP:
		need(o, 0, 1);
		op_copy_up(o->s[0]);
		break;
	default:
		fail(EPROTO, "unknown op %u", o->code);
	}
}

int main(int argc, char **argv)
{
	size_t len;
	uint32_t count;
	struct op *ops;
	char *prog;

	int extra;

	if (argc != 3)
		return 2;
	sync_fd = atoi(argv[1]);
	extra = atoi(argv[2]);
	if (sync_fd < 3 || extra < 0 || fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0)
		return 2;
	/* Our own fds (a console socket) sit after the sync socket; none may reach the container. */
	for (int fd = sync_fd + 1; fd <= sync_fd + extra; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			fail(errno, "fd %d", fd);
	/* Whatever the parent leaked above them must not reach the container either. */
	if (close_range((unsigned)(sync_fd + extra + 1), ~0u, 0) < 0)
		fail(errno, "close_range");
	prctl(PR_SET_NAME, "capsa:init", 0, 0, 0);
	prog = read_program(&len);
	ops = decode(prog, len, &count);
	for (uint32_t k = 0; k < count; k++) {
		cur_op = (int)k;
		run(&ops[k]);
	}
	/* A program always ends in OP_EXEC; reaching here is a bug in Java. */
	cur_op = -1;
	fail(EPROTO, "program ended without exec");
}
