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
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_spawnStage(JNIEnv *env, jclass cls, jint sync_fd, jint preserve)
{
	char path[64], arg[16];
	char *argv[] = { "capsa-stage", arg, NULL };
	char *envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int target = 3 + preserve;
	int memfd, rc;
	pid_t pid;

	(void)cls;
	memfd = stage_memfd(env);
	if (memfd < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	snprintf(arg, sizeof arg, "%d", target);
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
	/* dup2 onto itself clears FD_CLOEXEC (glibc >= 2.29), as we need. */
	posix_spawn_file_actions_adddup2(&fa, sync_fd, target);
	/* Executing /proc/self/fd/N works for an O_CLOEXEC memfd: the kernel opens
	 * the binary before it closes the close-on-exec descriptors. */
	rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
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

/* Returns bytes received, 0 at end of stream, -1 when the timeout passed. */
JNIEXPORT jint JNICALL Java_dev_capsa_linux_Native_recv(JNIEnv *env, jclass cls, jint fd, jbyteArray buf, jint timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	jsize size = (*env)->GetArrayLength(env, buf);
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
	do
		n = recv(fd, b, (size_t)size, 0);
	while (n < 0 && errno == EINTR);
	(*env)->ReleaseByteArrayElements(env, buf, b, 0);
	if (n < 0) {
		/* The peer died with data unread: the same as the end of the stream. */
		if (errno == ECONNRESET)
			return 0;
		return throw_errno(env, "recv", NULL, errno);
	}
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
	if (fd < 0)
		return throw_errno(env, "pidfd_open", NULL, errno);
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

static void forward(int sig)
{
	int saved = errno;

	if (forward_to > 0)
		kill(forward_to, sig);
	errno = saved;
}

/*
 * `run` hands the signals a user sends it to the container process, as runc
 * does. A plain sigaction replaces the JVM's handlers for these signals, which
 * only start its shutdown; the JVM's own signals (SEGV, BUS, FPE, ILL, USR2,
 * which it needs for implicit checks and thread suspension) are left alone.
 */
JNIEXPORT void JNICALL Java_dev_capsa_linux_Native_forwardSignals(JNIEnv *env, jclass cls, jint pid)
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
	for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
		if (sigaction(sigs[k], &sa, NULL) < 0) {
			throw_errno(env, "sigaction", NULL, errno);
			return;
		}
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
