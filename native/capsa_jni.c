/*
 * libcapsa: the thin JNI syscall layer of capsa (dev.capsa.linux.Native).
 *
 * Every function is one or two syscalls; a failure throws
 * dev.capsa.linux.SyscallException(syscall, path, errno). No policy lives here.
 *
 * The native stage is linked into this library as bytes (STAGE_BIN, see the
 * .incbin below) and executed from a sealed memfd: the binary the container
 * process runs can never be reached, let alone rewritten, through any path on
 * the host (CVE-2019-5736), and there is no second file to install or find.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <dlfcn.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <jni.h>

#ifndef STAGE_BIN
#error "STAGE_BIN must name the native stage binary to embed"
#endif

__asm__(".section .rodata\n"
	".balign 16\n"
	".global capsa_stage_start\n"
	"capsa_stage_start:\n"
	".incbin \"" STAGE_BIN "\"\n"
	".global capsa_stage_end\n"
	"capsa_stage_end:\n"
	".previous\n");
extern const char capsa_stage_start[], capsa_stage_end[];

static int throw_errno(JNIEnv *env, const char *syscall, const char *path, int err)
{
	jclass cls = (*env)->FindClass(env, "dev/capsa/linux/SyscallException");
	jmethodID ctor;
	jstring jsys, jpath = NULL;
	jobject ex;

	if (!cls)
		return -1;
	ctor = (*env)->GetMethodID(env, cls, "<init>", "(Ljava/lang/String;Ljava/lang/String;I)V");
	if (!ctor)
		return -1;
	jsys = (*env)->NewStringUTF(env, syscall);
	if (path)
		jpath = (*env)->NewStringUTF(env, path);
	ex = (*env)->NewObject(env, cls, ctor, jsys, jpath, err);
	if (ex)
		(*env)->Throw(env, ex);
	return -1;
}

/* Holds a Java string as modified UTF-8 for the duration of a call. */
struct jpath {
	JNIEnv *env;
	jstring str;
	const char *c;
};

static int jpath_get(JNIEnv *env, jstring s, struct jpath *p)
{
	p->env = env;
	p->str = s;
	p->c = s ? (*env)->GetStringUTFChars(env, s, NULL) : NULL;
	return p->c ? 0 : -1;
}

static void jpath_release(struct jpath *p)
{
	if (p->c)
		(*p->env)->ReleaseStringUTFChars(p->env, p->str, p->c);
}

/* The sealed copy of the stage, made once per JVM. */
static int stage_memfd(JNIEnv *env)
{
	static int fd = -1;
	const char *p = capsa_stage_start;
	size_t left = (size_t)(capsa_stage_end - capsa_stage_start);
	int memfd;

	if (fd >= 0)
		return fd;
	memfd = memfd_create("capsa-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return throw_errno(env, "memfd_create", "capsa-stage", errno);
	while (left > 0) {
		ssize_t n = write(memfd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(memfd);
			return throw_errno(env, "write", "memfd:capsa-stage", err);
		}
		p += n;
		left -= (size_t)n;
	}
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		int err = errno;

		close(memfd);
		return throw_errno(env, "fcntl F_ADD_SEALS", "memfd:capsa-stage", err);
	}
	fd = memfd;
	return fd;
}

JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_spawnStage(JNIEnv *env, jclass cls, jint sync_fd,
								  jint preserve, jintArray jextra, jintArray jstdio)
{
	char path[64], arg[16], narg[16];
	char *argv[] = { "capsa-stage", arg, narg, NULL };
	char *envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int target = 3 + preserve;
	int extra[8], stdio[3] = { -1, -1, -1 }, high[12], nhigh = 0;
	jsize nextra = jextra ? (*env)->GetArrayLength(env, jextra) : 0;
	int memfd, rc = 0;
	pid_t pid;

	(void)cls;
	if (nextra > 8)
		return throw_errno(env, "posix_spawn", "capsa-stage: too many fds", EINVAL);
	if (jextra)
		(*env)->GetIntArrayRegion(env, jextra, 0, nextra, extra);
	if (jstdio)
		(*env)->GetIntArrayRegion(env, jstdio, 0, 3, stdio);
	memfd = stage_memfd(env);
	if (memfd < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	snprintf(arg, sizeof arg, "%d", target);
	snprintf(narg, sizeof narg, "%d", (int)nextra);
	/*
	 * The fds go to fixed numbers (stdio, then 3+preserve, then the extras).
	 * A source may sit on another's target number, so every source is first
	 * duplicated above all targets (close-on-exec, so the copies vanish).
	 */
	int sources[12], targets[12];
	for (int k = 0; k < 3; k++)
		if (stdio[k] >= 0)
			sources[nhigh] = stdio[k], targets[nhigh++] = k;
	sources[nhigh] = sync_fd, targets[nhigh++] = target;
	for (int k = 0; k < nextra; k++)
		sources[nhigh] = extra[k], targets[nhigh++] = target + 1 + k;
	for (int k = 0; k < nhigh; k++) {
		high[k] = fcntl(sources[k], F_DUPFD_CLOEXEC, target + 1 + nextra);
		if (high[k] < 0) {
			int err = errno;

			while (k-- > 0)
				close(high[k]);
			return throw_errno(env, "fcntl F_DUPFD_CLOEXEC", NULL, err);
		}
	}
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/*
	 * The JVM blocks and handles signals for its own threads; the stage starts
	 * with an empty mask and default dispositions, or the container would
	 * inherit them.
	 */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	/* dup2 clears FD_CLOEXEC on the target, as we need. */
	for (int k = 0; k < nhigh; k++)
		posix_spawn_file_actions_adddup2(&fa, high[k], targets[k]);
	/* Executing /proc/self/fd/N works for an O_CLOEXEC memfd: the kernel opens
	 * the binary before it closes the close-on-exec descriptors. */
	rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (int k = 0; k < nhigh; k++)
		close(high[k]);
	if (rc != 0)
		return throw_errno(env, "posix_spawn", "capsa-stage", rc);
	return pid;
}

JNIEXPORT jintArray JNICALL Java_dev_capsa_linux_Native_socketPair(JNIEnv *env, jclass cls)
{
	int sv[2];
	jintArray out;

	(void)cls;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		throw_errno(env, "socketpair", NULL, errno);
		return NULL;
	}
	out = (*env)->NewIntArray(env, 2);
	if (out)
		(*env)->SetIntArrayRegion(env, out, 0, 2, sv);
	return out;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_send(JNIEnv *env, jclass cls, jint fd, jbyteArray buf, jint off, jint len)
{
	jbyte *b = (*env)->GetByteArrayElements(env, buf, NULL);
	ssize_t n;

	(void)cls;
	if (!b)
		return;
	do
		n = send(fd, b + off, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	(*env)->ReleaseByteArrayElements(env, buf, b, JNI_ABORT);
	if (n < 0)
		throw_errno(env, "send", NULL, errno);
}

/*
 * Returns bytes received, 0 at end of stream, -1 when the timeout passed. An
 * fd that came with the message (SCM_RIGHTS) is stored in fd_out[0], else -1.
 */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_recv(JNIEnv *env, jclass cls, jint fd, jbyteArray buf,
							jint timeout_ms, jintArray fd_out)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	jsize size = (*env)->GetArrayLength(env, buf);
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr msg = { 0 };
	struct cmsghdr *c;
	int got = -1;
	jbyte *b;
	ssize_t n;
	int r;

	(void)cls;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return throw_errno(env, "poll", NULL, errno);
	if (r == 0)
		return -1;
	b = (*env)->GetByteArrayElements(env, buf, NULL);
	if (!b)
		return -1;
	iov.iov_base = b;
	iov.iov_len = (size_t)size;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof control;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	(*env)->ReleaseByteArrayElements(env, buf, b, 0);
	if (n < 0) {
		/* The peer died with data unread: the same as the end of the stream. */
		if (errno == ECONNRESET)
			return 0;
		return throw_errno(env, "recvmsg", NULL, errno);
	}
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&got, CMSG_DATA(c), sizeof got);
	if (fd_out)
		(*env)->SetIntArrayRegion(env, fd_out, 0, 1, &got);
	else if (got >= 0)
		close(got);
	return (jint)n;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_close(JNIEnv *env, jclass cls, jint fd)
{
	(void)cls;
	if (close(fd) < 0 && errno != EINTR)
		throw_errno(env, "close", NULL, errno);
}

/* Returns the raw wait status, or -1 with noHang when the child still runs. */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_waitPid(JNIEnv *env, jclass cls, jint pid, jboolean no_hang)
{
	int status;
	pid_t r;

	(void)cls;
	do
		r = waitpid(pid, &status, no_hang ? WNOHANG : 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return throw_errno(env, "waitpid", NULL, errno);
	return r == 0 ? -1 : status;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_kill(JNIEnv *env, jclass cls, jint pid, jint sig)
{
	(void)cls;
	if (kill(pid, sig) < 0)
		throw_errno(env, "kill", NULL, errno);
}

JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_pidfdOpen(JNIEnv *env, jclass cls, jint pid)
{
	int fd;

	(void)cls;
	fd = pidfd_open(pid, 0);
	if (fd < 0) {
		int err = errno;

		/*
		 * A process being reaped can still be found by its number while no
		 * task stands behind it any more; pidfd_open then fails with EINVAL
		 * (pidfd_prepare: !pid_has_task) instead of ESRCH. For a positive
		 * pid both mean the process is gone, and every caller handles ESRCH
		 * as that. Found by kill --all, which signals the container process
		 * once in its cgroup and once through its pidfd.
		 */
		if (err == EINVAL && pid > 0)
			err = ESRCH;
		return throw_errno(env, "pidfd_open", NULL, err);
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int err = errno;

		close(fd);
		return throw_errno(env, "fcntl", NULL, err);
	}
	return fd;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_pidfdSendSignal(JNIEnv *env, jclass cls, jint pidfd, jint sig)
{
	(void)cls;
	if (pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
		throw_errno(env, "pidfd_send_signal", NULL, errno);
}

/* True when the process behind pidfd has exited within the timeout. */
JNIEXPORT jboolean JNICALL Java_dev_capsa_linux_Native_pidfdAwaitExit(JNIEnv *env, jclass cls, jint pidfd, jint timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	(void)cls;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		throw_errno(env, "poll", "pidfd", errno);
		return JNI_FALSE;
	}
	return r > 0;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_mkfifo(JNIEnv *env, jclass cls, jstring path, jint mode)
{
	struct jpath p;

	(void)cls;
	if (jpath_get(env, path, &p) < 0)
		return;
	if (mkfifo(p.c, (mode_t)mode) < 0)
		throw_errno(env, "mkfifo", p.c, errno);
	else if (chmod(p.c, (mode_t)mode) < 0)
		throw_errno(env, "chmod", p.c, errno);
	jpath_release(&p);
}

/*
 * Opens the exec fifo for writing without blocking and writes one byte: the
 * container process, waiting as the fifo's reader, goes on to exec. ENXIO
 * means nobody reads: the container process is gone.
 */
JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_releaseGate(JNIEnv *env, jclass cls, jstring path)
{
	struct jpath p;
	char byte = '0';
	ssize_t n;
	int fd;

	(void)cls;
	if (jpath_get(env, path, &p) < 0)
		return;
	fd = open(p.c, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		throw_errno(env, "open", p.c, errno);
		jpath_release(&p);
		return;
	}
	do
		n = write(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_errno(env, "write", p.c, errno);
	close(fd);
	jpath_release(&p);
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_setChildSubreaper(JNIEnv *env, jclass cls)
{
	(void)cls;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		throw_errno(env, "prctl PR_SET_CHILD_SUBREAPER", NULL, errno);
}

JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_geteuid(JNIEnv *env, jclass cls)
{
	(void)env;
	(void)cls;
	return (jint)geteuid();
}

JNIEXPORT jstring JNICALL Java_dev_capsa_linux_Native_strerror(JNIEnv *env, jclass cls, jint err)
{
	char buf[256];

	(void)cls;
	return (*env)->NewStringUTF(env, strerror_r(err, buf, sizeof buf));
}

static volatile pid_t forward_to;
static volatile int winch_fd = -1;

static void forward(int sig)
{
	int saved = errno;
	char byte = 0;

	/* With a terminal, a window change resizes the pty (a Java thread reads
	 * winch_fd); the kernel then signals the container's foreground group. */
	if (sig == SIGWINCH && winch_fd >= 0) {
		if (write(winch_fd, &byte, 1) < 0) {
			/* Nothing to do in a signal handler; the next resize retries. */
		}
	} else if (forward_to > 0) {
		kill(forward_to, sig);
	}
	errno = saved;
}

/*
 * `run` hands the signals a user sends it to the container process, as runc
 * does. A plain sigaction replaces the JVM's handlers for these signals, which
 * only start its shutdown; the JVM's own signals (SEGV, BUS, FPE, ILL, USR2,
 * which it needs for implicit checks and thread suspension) are left alone.
 */
JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_forwardSignals(JNIEnv *env, jclass cls, jint pid, jint winch)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGALRM, SIGTERM, SIGWINCH,
				    SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT, SIGXCPU, SIGXFSZ, SIGPWR };
	struct sigaction sa;

	(void)cls;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	forward_to = pid;
	winch_fd = winch;
	for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
		if (sigaction(sigs[k], &sa, NULL) < 0) {
			throw_errno(env, "sigaction", NULL, errno);
			return;
		}
}

/* A connected AF_UNIX SOCK_STREAM socket (console sockets, seccomp agents). */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_connectUnix(JNIEnv *env, jclass cls, jstring path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct jpath p;
	int fd;

	(void)cls;
	if (jpath_get(env, path, &p) < 0)
		return -1;
	if (strlen(p.c) >= sizeof addr.sun_path) {
		throw_errno(env, "connect", p.c, ENAMETOOLONG);
		jpath_release(&p);
		return -1;
	}
	strcpy(addr.sun_path, p.c);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		throw_errno(env, fd < 0 ? "socket" : "connect", p.c, err);
		jpath_release(&p);
		return -1;
	}
	jpath_release(&p);
	return fd;
}

/*
 * A detached clone of the mount at `path` (with its submounts when recursive),
 * idmapped to the user namespace usernsFd (submounts too when ridmap). Made
 * here, in the host's user namespace, because the kernel wants CAP_SYS_ADMIN
 * over the filesystem's own user namespace, which a stage already inside the
 * container's user namespace does not have.
 */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_idmappedTree(JNIEnv *env, jclass cls, jstring path,
								jint userns, jboolean recursive,
								jboolean ridmap)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	struct jpath p;
	int tree;

	(void)cls;
	if (jpath_get(env, path, &p) < 0)
		return -1;
	tree = open_tree(AT_FDCWD, p.c, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0) {
		throw_errno(env, "open_tree", p.c, errno);
	} else if (mount_setattr(tree, "", AT_EMPTY_PATH | (ridmap ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
		throw_errno(env, "mount_setattr MOUNT_ATTR_IDMAP", p.c, errno);
		close(tree);
		tree = -1;
	}
	jpath_release(&p);
	return tree;
}

/* sendmsg of data with fds in SCM_RIGHTS. */
JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_sendFds(JNIEnv *env, jclass cls, jint sock, jbyteArray data,
							   jintArray jfds)
{
	jsize nfds = (*env)->GetArrayLength(env, jfds);
	char control[CMSG_SPACE(sizeof(int) * 8)] = { 0 };
	struct msghdr msg = { 0 };
	struct iovec iov;
	struct cmsghdr *c;
	int fds[8];
	jbyte *b;
	ssize_t n;

	(void)cls;
	if (nfds > 8 || nfds < 1) {
		throw_errno(env, "sendmsg", NULL, EINVAL);
		return;
	}
	(*env)->GetIntArrayRegion(env, jfds, 0, nfds, fds);
	b = (*env)->GetByteArrayElements(env, data, NULL);
	if (!b)
		return;
	iov.iov_base = b;
	iov.iov_len = (size_t)(*env)->GetArrayLength(env, data);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	(*env)->ReleaseByteArrayElements(env, data, b, JNI_ABORT);
	if (n < 0)
		throw_errno(env, "sendmsg", NULL, errno);
}

JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_open(JNIEnv *env, jclass cls, jstring path, jint flags)
{
	struct jpath p;
	int fd;

	(void)cls;
	if (jpath_get(env, path, &p) < 0)
		return -1;
	fd = open(p.c, flags | O_CLOEXEC);
	if (fd < 0)
		throw_errno(env, "open", p.c, errno);
	jpath_release(&p);
	return fd;
}

/* read(2): bytes read, 0 at end of file; EIO (a pty whose other side closed) reads as 0. */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_read(JNIEnv *env, jclass cls, jint fd, jbyteArray buf)
{
	jsize size = (*env)->GetArrayLength(env, buf);
	jbyte *b = (*env)->GetByteArrayElements(env, buf, NULL);
	ssize_t n;

	(void)cls;
	if (!b)
		return -1;
	do
		n = read(fd, b, (size_t)size);
	while (n < 0 && errno == EINTR);
	(*env)->ReleaseByteArrayElements(env, buf, b, 0);
	if (n < 0 && errno == EIO)
		return 0;
	if (n < 0)
		return throw_errno(env, "read", NULL, errno);
	return (jint)n;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_write(JNIEnv *env, jclass cls, jint fd, jbyteArray buf, jint off,
							 jint len)
{
	jbyte *b = (*env)->GetByteArrayElements(env, buf, NULL);

	(void)cls;
	if (!b)
		return;
	while (len > 0) {
		ssize_t n = write(fd, b + off, (size_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			throw_errno(env, "write", NULL, errno);
			break;
		}
		off += (jint)n;
		len -= (jint)n;
	}
	(*env)->ReleaseByteArrayElements(env, buf, b, JNI_ABORT);
}

JNIEXPORT jboolean JNICALL Java_dev_capsa_linux_Native_isatty(JNIEnv *env, jclass cls, jint fd)
{
	(void)env;
	(void)cls;
	return isatty(fd) ? JNI_TRUE : JNI_FALSE;
}

/* Puts a terminal in raw mode (cfmakeraw); returns its former settings to restore. */
JNIEXPORT jbyteArray JNICALL Java_dev_capsa_linux_Native_makeRaw(JNIEnv *env, jclass cls, jint fd)
{
	struct termios old, raw;
	jbyteArray out;

	(void)cls;
	if (tcgetattr(fd, &old) < 0) {
		throw_errno(env, "tcgetattr", NULL, errno);
		return NULL;
	}
	raw = old;
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSANOW, &raw) < 0) {
		throw_errno(env, "tcsetattr", NULL, errno);
		return NULL;
	}
	out = (*env)->NewByteArray(env, sizeof old);
	if (out)
		(*env)->SetByteArrayRegion(env, out, 0, sizeof old, (jbyte *)&old);
	return out;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_restoreTerminal(JNIEnv *env, jclass cls, jint fd, jbyteArray saved)
{
	struct termios t;

	(void)cls;
	if ((*env)->GetArrayLength(env, saved) != sizeof t)
		return;
	(*env)->GetByteArrayRegion(env, saved, 0, sizeof t, (jbyte *)&t);
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		throw_errno(env, "tcsetattr", NULL, errno);
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/*
 * A new fd of the slave of the pty whose master is `master` (Linux 4.13+):
 * opened through the master, so it is the master's own slave in the master's
 * devpts instance, whatever the caller's mount namespace shows under /dev/pts.
 * Close-on-exec, and never the caller's controlling terminal.
 */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_ptyPeer(JNIEnv *env, jclass cls, jint master)
{
	int fd;

	(void)cls;
	fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return throw_errno(env, "ioctl TIOCGPTPEER", NULL, errno);
	return fd;
}

/*
 * poll(2) for POLLIN on every fd of `fds`; revents[i] gets fds[i]'s returned
 * events (POLLIN, POLLHUP, POLLERR, POLLNVAL). Returns how many fds have
 * events, 0 when the timeout passed. A signal restarts the wait with the same
 * timeout (callers use 0 or -1, or loop anyway).
 */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_poll(JNIEnv *env, jclass cls, jintArray fds, jintArray revents,
							jint timeout_ms)
{
	struct pollfd p[8];
	jint f[8], rev[8];
	jsize n = (*env)->GetArrayLength(env, fds);
	int r;

	(void)cls;
	if (n > 8 || (*env)->GetArrayLength(env, revents) < n)
		return throw_errno(env, "poll", "at most 8 fds, and a revents array as long", EINVAL);
	(*env)->GetIntArrayRegion(env, fds, 0, n, f);
	for (jsize k = 0; k < n; k++) {
		p[k].fd = f[k];
		p[k].events = POLLIN;
		p[k].revents = 0;
	}
	do
		r = poll(p, (nfds_t)n, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return throw_errno(env, "poll", NULL, errno);
	for (jsize k = 0; k < n; k++)
		rev[k] = p[k].revents;
	(*env)->SetIntArrayRegion(env, revents, 0, n, rev);
	return r;
}

/* {rows, cols} of a terminal. */
JNIEXPORT jintArray JNICALL Java_dev_capsa_linux_Native_windowSize(JNIEnv *env, jclass cls, jint fd)
{
	struct winsize ws;
	jint v[2];
	jintArray out;

	(void)cls;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0) {
		throw_errno(env, "ioctl TIOCGWINSZ", NULL, errno);
		return NULL;
	}
	v[0] = ws.ws_row;
	v[1] = ws.ws_col;
	out = (*env)->NewIntArray(env, 2);
	if (out)
		(*env)->SetIntArrayRegion(env, out, 0, 2, v);
	return out;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_setWindowSize(JNIEnv *env, jclass cls, jint fd, jint rows, jint cols)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };

	(void)cls;
	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		throw_errno(env, "ioctl TIOCSWINSZ", NULL, errno);
}

/*
 * libseccomp, opened on first use (dlopen) so that the many containers
 * without seccomp do not pay for loading it. Java maps the OCI profile; these
 * calls only build and export the filter.
 */
static struct {
	void *(*init)(uint32_t);
	void (*release)(void *);
	int (*arch_add)(void *, uint32_t);
	uint32_t (*arch_resolve_name)(const char *);
	int (*syscall_resolve_name)(const char *);
	int (*rule_add_array)(void *, uint32_t, int, unsigned int, const void *);
	int (*attr_set)(void *, int, uint32_t);
	int (*export_bpf)(const void *, int);
} scmp;

static int seccomp_lib(JNIEnv *env)
{
	static void *lib;

	if (lib)
		return 0;
	lib = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		throw_errno(env, "dlopen", "libseccomp.so.2 (install libseccomp2)", ENOENT);
		return -1;
	}
	*(void **)&scmp.init = dlsym(lib, "seccomp_init");
	*(void **)&scmp.release = dlsym(lib, "seccomp_release");
	*(void **)&scmp.arch_add = dlsym(lib, "seccomp_arch_add");
	*(void **)&scmp.arch_resolve_name = dlsym(lib, "seccomp_arch_resolve_name");
	*(void **)&scmp.syscall_resolve_name = dlsym(lib, "seccomp_syscall_resolve_name");
	*(void **)&scmp.rule_add_array = dlsym(lib, "seccomp_rule_add_array");
	*(void **)&scmp.attr_set = dlsym(lib, "seccomp_attr_set");
	*(void **)&scmp.export_bpf = dlsym(lib, "seccomp_export_bpf");
	if (!scmp.init || !scmp.release || !scmp.arch_add || !scmp.arch_resolve_name ||
	    !scmp.syscall_resolve_name || !scmp.rule_add_array || !scmp.attr_set || !scmp.export_bpf) {
		lib = NULL;
		throw_errno(env, "dlsym", "libseccomp.so.2", ENOSYS);
		return -1;
	}
	return 0;
}

JNIEXPORT jlong JNICALL Java_dev_capsa_linux_Native_seccompInit(JNIEnv *env, jclass cls, jint default_action)
{
	void *ctx;

	(void)cls;
	if (seccomp_lib(env) < 0)
		return 0;
	ctx = scmp.init((uint32_t)default_action);
	if (!ctx)
		throw_errno(env, "seccomp_init", NULL, EINVAL);
	return (jlong)(intptr_t)ctx;
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_seccompRelease(JNIEnv *env, jclass cls, jlong ctx)
{
	(void)env;
	(void)cls;
	if (ctx)
		scmp.release((void *)(intptr_t)ctx);
}

/* Adds an architecture by libseccomp's name ("x86_64"); false when unknown. */
JNIEXPORT jboolean JNICALL Java_dev_capsa_linux_Native_seccompArchAdd(JNIEnv *env, jclass cls, jlong ctx, jstring name)
{
	struct jpath p;
	uint32_t arch;
	int rc;

	(void)cls;
	if (jpath_get(env, name, &p) < 0)
		return JNI_FALSE;
	arch = scmp.arch_resolve_name(p.c);
	jpath_release(&p);
	if (arch == 0)
		return JNI_FALSE;
	rc = scmp.arch_add((void *)(intptr_t)ctx, arch);
	if (rc < 0 && rc != -EEXIST)
		throw_errno(env, "seccomp_arch_add", NULL, -rc);
	return JNI_TRUE;
}

/*
 * The syscall's number for libseccomp: the native one, or one of libseccomp's
 * negative pseudo numbers (below -10000) for a syscall that only some other
 * architecture has, such as socketcall on x86_64, which libseccomp
 * translates for each architecture of the filter; -1 (__NR_SCMP_ERROR) when
 * libseccomp knows no such syscall.
 */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_seccompSyscall(JNIEnv *env, jclass cls, jstring name)
{
	struct jpath p;
	int nr;

	(void)cls;
	if (seccomp_lib(env) < 0 || jpath_get(env, name, &p) < 0)
		return -1;
	nr = scmp.syscall_resolve_name(p.c);
	jpath_release(&p);
	return nr;
}

/* struct scmp_arg_cmp of <seccomp.h>. */
struct capsa_arg_cmp {
	unsigned int arg;
	int op;
	uint64_t datum_a, datum_b;
};

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_seccompRule(JNIEnv *env, jclass cls, jlong ctx, jint action,
							       jint nr, jintArray jindex, jintArray jop,
							       jlongArray ja, jlongArray jb)
{
	struct capsa_arg_cmp cmp[6];
	jint index[6], op[6];
	jlong a[6], b[6];
	jsize n = (*env)->GetArrayLength(env, jindex);
	int rc;

	(void)cls;
	if (n > 6) {
		throw_errno(env, "seccomp_rule_add_array", "more than 6 argument conditions", EINVAL);
		return;
	}
	(*env)->GetIntArrayRegion(env, jindex, 0, n, index);
	(*env)->GetIntArrayRegion(env, jop, 0, n, op);
	(*env)->GetLongArrayRegion(env, ja, 0, n, a);
	(*env)->GetLongArrayRegion(env, jb, 0, n, b);
	for (jsize k = 0; k < n; k++) {
		cmp[k].arg = (unsigned int)index[k];
		cmp[k].op = op[k];
		cmp[k].datum_a = (uint64_t)a[k];
		cmp[k].datum_b = (uint64_t)b[k];
	}
	rc = scmp.rule_add_array((void *)(intptr_t)ctx, (uint32_t)action, nr, (unsigned int)n, cmp);
	if (rc < 0)
		throw_errno(env, "seccomp_rule_add_array", NULL, -rc);
}

JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_seccompAttr(JNIEnv *env, jclass cls, jlong ctx, jint attr, jint value)
{
	int rc;

	(void)cls;
	rc = scmp.attr_set((void *)(intptr_t)ctx, attr, (uint32_t)value);
	if (rc < 0)
		throw_errno(env, "seccomp_attr_set", NULL, -rc);
}

/* The filter as BPF (struct sock_filter[]), through a memfd. */
JNIEXPORT jbyteArray JNICALL Java_dev_capsa_linux_Native_seccompExport(JNIEnv *env, jclass cls, jlong ctx)
{
	int fd = memfd_create("capsa-seccomp", MFD_CLOEXEC);
	jbyteArray out = NULL;
	off_t size;
	char *buf;
	int rc;

	(void)cls;
	if (fd < 0) {
		throw_errno(env, "memfd_create", NULL, errno);
		return NULL;
	}
	rc = scmp.export_bpf((void *)(intptr_t)ctx, fd);
	if (rc < 0) {
		close(fd);
		throw_errno(env, "seccomp_export_bpf", NULL, -rc);
		return NULL;
	}
	size = lseek(fd, 0, SEEK_END);
	buf = size > 0 ? malloc((size_t)size) : NULL;
	if (!buf || pread(fd, buf, (size_t)size, 0) != size) {
		close(fd);
		free(buf);
		throw_errno(env, "read", "seccomp filter", errno ? errno : EIO);
		return NULL;
	}
	close(fd);
	out = (*env)->NewByteArray(env, (jsize)size);
	if (out)
		(*env)->SetByteArrayRegion(env, out, 0, (jsize)size, (jbyte *)buf);
	free(buf);
	return out;
}

/* An anonymous file (memfd_create), close-on-exec: hooks' stdin and output. */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_memfd(JNIEnv *env, jclass cls, jstring name)
{
	struct jpath p;
	int fd;

	(void)cls;
	if (jpath_get(env, name, &p) < 0)
		return -1;
	fd = memfd_create(p.c, MFD_CLOEXEC);
	if (fd < 0)
		throw_errno(env, "memfd_create", p.c, errno);
	jpath_release(&p);
	return fd;
}

/* pipe2(O_CLOEXEC): {read end, write end}. */
JNIEXPORT jintArray JNICALL Java_dev_capsa_linux_Native_pipe(JNIEnv *env, jclass cls)
{
	int fds[2];
	jintArray out;

	(void)cls;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		throw_errno(env, "pipe2", NULL, errno);
		return NULL;
	}
	out = (*env)->NewIntArray(env, 2);
	if (out)
		(*env)->SetIntArrayRegion(env, out, 0, 2, fds);
	return out;
}

/* Sends one netlink request and reads its ack: 0, or -errno. */
static int nl_request(int fd, struct nlmsghdr *req)
{
	char buf[4096];
	struct nlmsghdr *h;
	ssize_t n;

	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, sizeof buf, 0);
	if (n < 0)
		return -errno;
	h = (struct nlmsghdr *)buf;
	if (NLMSG_OK(h, (unsigned int)n) && h->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	return 0;
}

static void nl_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* A netlink socket in the network namespace of netns_fd (this thread visits it). */
static int nl_socket_in(int netns_fd)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd = -1, err = 0;

	if (self < 0)
		return -1;
	if (setns(netns_fd, CLONE_NEWNET) == 0) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		err = errno;
		if (setns(self, CLONE_NEWNET) < 0)
			abort(); /* a JVM thread left in the container's network: never go on */
	} else {
		err = errno;
	}
	close(self);
	errno = err;
	return fd;
}

#define MAX_ADDRS 64

/* The index of the interface `name` in the namespace of netlink socket fd, or 0. */
static unsigned int nl_link_index(int fd, const char *name)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	char buf[4096];
	ssize_t n;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifi);
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	nl_attr(&req.nh, IFLA_IFNAME, name, strlen(name) + 1);
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return 0;
	n = recv(fd, buf, sizeof buf, 0);
	if (n > 0 && NLMSG_OK(h, (unsigned int)n) && h->nlmsg_type == RTM_NEWLINK)
		return (unsigned int)((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
	return 0;
}

/* Clears the request at nh (size bytes) and starts an RTM_NEWLINK for interface index. */
static void link_request(struct nlmsghdr *nh, size_t size, int index)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);

	memset(nh, 0, size);
	nh->nlmsg_len = NLMSG_LENGTH(sizeof *ifi);
	nh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
}

/*
 * Moves a network interface into the network namespace of netns_fd, renamed
 * (IFLA_NET_NS_FD + IFLA_IFNAME in one RTM_NEWLINK, as `ip link set dev X
 * netns N name Y`), then, as config-linux.md "Network Devices" requires, puts
 * back its permanent global addresses (a move drops them) and sets it up.
 */
JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_moveLink(JNIEnv *env, jclass cls, jstring jname, jint netns_fd,
							    jstring jnew_name)
{
	struct {
		struct nlmsghdr nh;
		union {
			struct ifinfomsg ifi;
			struct ifaddrmsg ifa;
		};
		char attrs[512];
	} req;
	static char addrs[MAX_ADDRS][512];
	size_t addr_len[MAX_ADDRS];
	int naddrs = 0;
	struct jpath name, new_name;
	unsigned int index;
	int host = -1, inside = -1, rc;
	char buf[16384];

	(void)cls;
	if (jpath_get(env, jname, &name) < 0)
		return;
	if (jpath_get(env, jnew_name, &new_name) < 0) {
		jpath_release(&name);
		return;
	}
	index = if_nametoindex(name.c);
	if (index == 0) {
		throw_errno(env, "if_nametoindex", name.c, errno);
		goto out;
	}
	if (strlen(new_name.c) >= IFNAMSIZ) {
		throw_errno(env, "rtnetlink", new_name.c, ENAMETOOLONG);
		goto out;
	}
	host = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (host < 0) {
		throw_errno(env, "socket", "NETLINK_ROUTE", errno);
		goto out;
	}
	/* The addresses to carry over: permanent, global scope (RFC 3549 2.3.3.2). */
	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifa);
	req.nh.nlmsg_type = RTM_GETADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (send(host, &req, req.nh.nlmsg_len, 0) < 0) {
		throw_errno(env, "send", "RTM_GETADDR", errno);
		goto out;
	}
	for (int done = 0; !done;) {
		ssize_t n = recv(host, buf, sizeof buf, 0);

		if (n < 0) {
			throw_errno(env, "recv", "RTM_GETADDR", errno);
			goto out;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			size_t len = h->nlmsg_len - NLMSG_LENGTH(0);

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == RTM_NEWADDR && ifa->ifa_index == index &&
			    (ifa->ifa_flags & IFA_F_PERMANENT) && ifa->ifa_scope == RT_SCOPE_UNIVERSE &&
			    naddrs < MAX_ADDRS && len <= sizeof addrs[0]) {
				/* Everything but the label, which names the old interface. */
				size_t out = NLMSG_ALIGN(sizeof *ifa);
				int rlen = (int)(len - out);

				memcpy(addrs[naddrs], ifa, sizeof *ifa);
				for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, rlen); a = RTA_NEXT(a, rlen)) {
					if (a->rta_type == IFA_LABEL)
						continue;
					memcpy(addrs[naddrs] + out, a, a->rta_len);
					out += RTA_ALIGN(a->rta_len);
				}
				addr_len[naddrs++] = out;
			}
		}
	}
	inside = nl_socket_in(netns_fd);
	if (inside < 0) {
		throw_errno(env, "socket", "NETLINK_ROUTE in the container", errno);
		goto out;
	}
	/*
	 * The kernel moves the interface first and renames it after: a name
	 * taken in the container would fail the rename with the interface
	 * already moved, and gone with the container. Check first.
	 */
	if (!strchr(new_name.c, '%') && nl_link_index(inside, new_name.c) != 0) {
		throw_errno(env, "RTM_NEWLINK", new_name.c, EEXIST);
		goto out;
	}
	link_request(&req.nh, sizeof req, (int)index);
	nl_attr(&req.nh, IFLA_NET_NS_FD, &netns_fd, sizeof netns_fd);
	nl_attr(&req.nh, IFLA_IFNAME, new_name.c, strlen(new_name.c) + 1);
	rc = nl_request(host, &req.nh);
	if (rc < 0) {
		/* Moved but not renamed: bring it home (best effort) before failing. */
		unsigned int moved = nl_link_index(inside, name.c);

		if (moved != 0) {
			pid_t self = getpid();

			link_request(&req.nh, sizeof req, (int)moved);
			nl_attr(&req.nh, IFLA_NET_NS_PID, &self, sizeof self);
			(void)nl_request(inside, &req.nh);
		}
		throw_errno(env, "RTM_NEWLINK", name.c, -rc);
		goto out;
	}
	/* The move keeps the index when the namespace has it free, as a new one does. */
	if (!strchr(new_name.c, '%')) {
		unsigned int now = nl_link_index(inside, new_name.c);

		if (now != 0)
			index = now;
	}
	for (int k = 0; k < naddrs; k++) {
		memset(&req, 0, sizeof req);
		memcpy(&req.ifa, addrs[k], addr_len[k]);
		req.ifa.ifa_index = index;
		req.nh.nlmsg_len = NLMSG_LENGTH(addr_len[k]);
		req.nh.nlmsg_type = RTM_NEWADDR;
		req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
		rc = nl_request(inside, &req.nh);
		if (rc < 0 && rc != -EEXIST) {
			throw_errno(env, "RTM_NEWADDR", new_name.c, -rc);
			goto out;
		}
	}
	link_request(&req.nh, sizeof req, (int)index);
	req.ifi.ifi_flags = IFF_UP;
	req.ifi.ifi_change = IFF_UP;
	rc = nl_request(inside, &req.nh);
	if (rc < 0)
		throw_errno(env, "RTM_NEWLINK up", new_name.c, -rc);
out:
	if (host >= 0)
		close(host);
	if (inside >= 0)
		close(inside);
	jpath_release(&name);
	jpath_release(&new_name);
}

/* open(O_CREAT, 0600) + flock(LOCK_EX), waiting for the holder: the container lock. */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_lock(JNIEnv *env, jclass cls, jstring path)
{
	struct jpath p;
	int fd, rc;

	(void)cls;
	if (jpath_get(env, path, &p) < 0)
		return -1;
	fd = open(p.c, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		throw_errno(env, "open", p.c, errno);
		jpath_release(&p);
		return -1;
	}
	do
		rc = flock(fd, LOCK_EX);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		throw_errno(env, "flock", p.c, errno);
		close(fd);
		fd = -1;
	}
	jpath_release(&p);
	return fd;
}

/* bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program: cgroup v2's devices.allow. */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_bpfLoadDeviceFilter(JNIEnv *env, jclass cls, jbyteArray prog)
{
	union bpf_attr attr;
	static char log[65536];
	jsize len = (*env)->GetArrayLength(env, prog);
	jbyte *insns = (*env)->GetByteArrayElements(env, prog, NULL);
	const char *why = NULL;
	int fd, err;

	(void)cls;
	if (!insns)
		return -1;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insn_cnt = (uint32_t)len / sizeof(struct bpf_insn);
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.license = (uint64_t)(uintptr_t)"Apache-2.0";
	/*
	 * Without a verifier log first: with one, the kernel fails a load
	 * whose log does not fit the buffer (ENOSPC), and a long rule list
	 * logs a line per instruction. The log is only wanted to explain a
	 * refusal, so a failed load is retried with it.
	 */
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	err = errno;
	if (fd < 0 && err != ENOSPC) {
		log[0] = '\0';
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = sizeof log;
		attr.log_level = 1;
		if (syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr) < 0 && log[0]) {
			/* The verifier's verdict is its last line. */
			size_t n = strlen(log);
			char *last;

			while (n > 0 && log[n - 1] == '\n')
				log[--n] = '\0';
			last = strrchr(log, '\n');
			why = last ? last + 1 : log;
		}
	}
	(*env)->ReleaseByteArrayElements(env, prog, insns, JNI_ABORT);
	if (fd < 0)
		return throw_errno(env, "bpf BPF_PROG_LOAD", why, err);
	return fd;
}

static int bpf_attach_device(int cgroup_fd, int prog_fd, uint32_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof attr);
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = flags;
	return (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr);
}

/*
 * bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE): makes prog_fd the cgroup's device
 * program, in place of those attached before (create: none, or systemd's;
 * update: the previous one). A cgroup holds either one program attached
 * without flags, which a new attach without flags replaces, or a list
 * attached with BPF_F_ALLOW_MULTI (systemd's kind, DevicePolicy=), to which
 * an attach without the flag is EPERM and every program of which must allow
 * an access. So, as runc does: one flagless program is replaced; otherwise
 * the new one joins with BPF_F_ALLOW_MULTI and the old ones are detached
 * (ours says all the rules; systemd puts its own back when it realizes the
 * unit again, from the same rules, given as DeviceAllow).
 */
JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_bpfAttachDeviceFilter(JNIEnv *env, jclass cls, jint cgroup_fd,
									  jint prog_fd)
{
	union bpf_attr attr;
	uint32_t ids[64];
	uint32_t count, i;

	(void)cls;
	memset(&attr, 0, sizeof attr);
	attr.query.target_fd = (uint32_t)cgroup_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = sizeof ids / sizeof ids[0];
	if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr) < 0) {
		throw_errno(env, "bpf BPF_PROG_QUERY", NULL, errno);
		return;
	}
	count = attr.query.prog_cnt;
	if (count > 0 && !(attr.query.attach_flags & BPF_F_ALLOW_MULTI)) {
		/* The same flags (none, or BPF_F_ALLOW_OVERRIDE) replace the one there. */
		if (bpf_attach_device(cgroup_fd, prog_fd, attr.query.attach_flags) < 0)
			throw_errno(env, "bpf BPF_PROG_ATTACH", NULL, errno);
		return;
	}
	if (bpf_attach_device(cgroup_fd, prog_fd, BPF_F_ALLOW_MULTI) < 0) {
		throw_errno(env, "bpf BPF_PROG_ATTACH", "BPF_F_ALLOW_MULTI", errno);
		return;
	}
	for (i = 0; i < count; i++) {
		int old;

		memset(&attr, 0, sizeof attr);
		attr.prog_id = ids[i];
		old = (int)syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof attr);
		if (old < 0) {
			/*
			 * ENOENT: detached and freed meanwhile. EPERM/EACCES: a
			 * program we may not open (an LSM label on systemd's);
			 * it stays, as in runc, and only restricts further.
			 */
			if (errno == ENOENT || errno == EPERM || errno == EACCES)
				continue;
			throw_errno(env, "bpf BPF_PROG_GET_FD_BY_ID", NULL, errno);
			return;
		}
		memset(&attr, 0, sizeof attr);
		attr.target_fd = (uint32_t)cgroup_fd;
		attr.attach_bpf_fd = (uint32_t)old;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (syscall(SYS_bpf, BPF_PROG_DETACH, &attr, sizeof attr) < 0 && errno != ENOENT) {
			int err = errno;

			close(old);
			throw_errno(env, "bpf BPF_PROG_DETACH", NULL, err);
			return;
		}
		close(old);
	}
}
