/*
 * capsa's launcher: the `capsa` command (bin/capsa, or PREFIX/bin/capsa).
 *
 * It starts the JVM that runs capsa (dev.capsa.cli.Main) with the AOT cache
 * the build trained, and, for three commands in their common case, does the
 * work itself:
 *
 *   start ID    of a created container whose start runs no hook: write the
 *               byte its process waits for on exec.fifo, remove the fifo;
 *   delete [--force] ID
 *               of a stopped container whose delete runs no hook and stops
 *               no systemd unit: remove its empty cgroup directories, then
 *               its state directory;
 *   state ID    print the text Java rendered at create for the live status.
 *
 * Why: a JVM start costs ~30 ms, runc's whole start, delete or state 4-5 ms,
 * and these are a few syscalls that create had already decided on. Java still
 * decides (DESIGN.md): create writes <root>/<id>/fastpath (FastPath.java),
 * which says whether start and delete may be done here, with the container's
 * pid, its start time, its cgroup directories and the state texts. This
 * program only derives the status as Container.status does (the process alive
 * with that start time, the freezer, the fifo) and checks what Lifecycle
 * checks (for delete, the cgroup empty), under the container's lock for start
 * and delete, and acts when every condition holds. Anything else, such as
 * another command, a flag it does not know, --debug, a missing or unreadable
 * file, or a failed syscall before the first change, goes to the JVM with the
 * same command line.
 * The JVM checks everything again and words any error. Nothing is printed
 * here, except for a failure after a change that cannot be undone.
 *
 * Static, like the stage: nothing for the dynamic loader to do at each call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ROOT "/run/capsa"
#define MAX_CGROUPS 32
#define FASTPATH_MAX (256 * 1024)
/* As Cgroup.RMDIR_TRIES: a process that just exited leaves its cgroup a little later. */
#define RMDIR_TRIES 50

enum { FALL_BACK = -1, DONE = 0, FAILED = 1 };

/* The command line the fast paths accept: runc's globals, then start, delete or state ID. */
struct command {
	const char *root;
	const char *log;
	const char *name;
	const char *id;
};

/* The statuses of a created container, and their names in state JSON. */
enum status { CREATED, RUNNING, PAUSED, STOPPED, NSTATUSES };
static const char *const STATUSES[NSTATUSES] = { "created", "running", "paused", "stopped" };

/* <root>/<id>/fastpath, parsed. */
struct fastpath {
	int pid;
	unsigned long long start_time;
	int start;
	int delete;
	int ncgroups;
	char *cgroup[MAX_CGROUPS];
	/* What `state` prints in each status (STATUSES' order); NULL when absent. */
	const char *state[NSTATUSES];
	size_t state_len[NSTATUSES];
};

/* StateStore.validId: letters, digits, '_', '+', '-', '.'; not "." or ".."; <= 1024. */
static int valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 1024 || !strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	for (const char *c = id; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '+' || *c == '-' ||
		      *c == '.'))
			return 0;
	}
	return 1;
}

/*
 * Accepts exactly: [--root DIR] [--log FILE] [--log-format text|json]
 * [--systemd-cgroup] (one or two dashes, value after '=' or as the next word),
 * then "start ID", "delete [--force] ID" or "state ID". Returns 0 for anything
 * else.
 */
static int parse_command(int argc, char **argv, struct command *c)
{
	int i = 1;

	c->root = DEFAULT_ROOT;
	c->log = NULL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *body = argv[i] + 1, *value = NULL;
		char name[32];
		size_t len;

		if (*body == '-')
			body++;
		len = strcspn(body, "=");
		if (len == 0 || len >= sizeof(name))
			return 0;
		memcpy(name, body, len);
		name[len] = '\0';
		if (body[len] == '=')
			value = body + len + 1;
		if (!strcmp(name, "systemd-cgroup")) {
			/* Only a bare flag; --systemd-cgroup=false and the like go to Java. */
			if (value)
				return 0;
			continue;
		}
		if (strcmp(name, "root") && strcmp(name, "log") && strcmp(name, "log-format"))
			return 0;
		if (!value) {
			if (i + 1 >= argc)
				return 0;
			value = argv[++i];
		}
		if (!strcmp(name, "root")) {
			c->root = value;
		} else if (!strcmp(name, "log")) {
			c->log = value;
		} else if (strcmp(value, "text") && strcmp(value, "json")) {
			return 0;
		}
	}
	if (i >= argc)
		return 0;
	c->name = argv[i++];
	/*
	 * delete --force of a stopped container is a delete (podman always
	 * passes it); of any other, it kills first, which is the JVM's.
	 */
	if (!strcmp(c->name, "delete") && i < argc &&
	    (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force") || !strcmp(argv[i], "-force") ||
	     !strcmp(argv[i], "--force=true") || !strcmp(argv[i], "-force=true")))
		i++;
	if (argc - i != 1)
		return 0;
	c->id = argv[i];
	if (strcmp(c->name, "start") && strcmp(c->name, "delete") && strcmp(c->name, "state"))
		return 0;
	return valid_id(c->id) && *c->root;
}

/* Reads a small file whole into buf (NUL-terminated); -1 with errno on failure. */
static ssize_t read_file(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

/* Parses the file's text (len bytes); 0 when it is not exactly what FastPath writes. */
static int parse_fastpath(char *text, size_t len, struct fastpath *f)
{
	char *line, *next, *end = text + len;
	int version_seen = 0, pid_seen = 0, i;
	size_t blob = 0;

	memset(f, 0, sizeof(*f));
	for (line = text; line < end; line = next) {
		next = memchr(line, '\n', (size_t)(end - line));
		if (!next)
			return 0; /* every line ends with '\n': a cut file is not ours */
		*next++ = '\0';
		if (!strcmp(line, "end")) {
			/* The state texts follow, exactly as long as their lines say. */
			if ((size_t)(end - next) != blob)
				return 0;
			for (i = 0; i < NSTATUSES; i++) {
				if (f->state[i]) {
					f->state[i] = next;
					next += f->state_len[i];
				}
			}
			return version_seen && pid_seen;
		}
		if (!version_seen) {
			if (strcmp(line, "capsa-fastpath 1"))
				return 0;
			version_seen = 1;
		} else if (!strncmp(line, "pid ", 4)) {
			char *stop;
			long pid = strtol(line + 4, &stop, 10);

			if (*stop != ' ' || pid <= 0 || pid > INT_MAX)
				return 0;
			errno = 0;
			f->start_time = strtoull(stop + 1, &stop, 10);
			if (*stop || errno)
				return 0;
			f->pid = (int)pid;
			pid_seen = 1;
		} else if (!strcmp(line, "start")) {
			f->start = 1;
		} else if (!strcmp(line, "delete")) {
			f->delete = 1;
		} else if (!strncmp(line, "cgroup /", 8)) {
			if (f->ncgroups == MAX_CGROUPS)
				return 0;
			f->cgroup[f->ncgroups++] = line + 7;
		} else if (!strncmp(line, "state ", 6)) {
			char *word = line + 6, *space = strchr(word, ' '), *stop;
			unsigned long long n;

			if (!space)
				return 0;
			*space = '\0';
			errno = 0;
			n = strtoull(space + 1, &stop, 10);
			if (*stop || errno || space[1] == '\0' || n > FASTPATH_MAX)
				return 0;
			for (i = 0; i < NSTATUSES && strcmp(word, STATUSES[i]); i++)
				;
			if (i == NSTATUSES || f->state[i])
				return 0;
			f->state[i] = word; /* placed after "end" */
			f->state_len[i] = (size_t)n;
			blob += (size_t)n;
		} else {
			return 0; /* a newer create's word: Java knows it */
		}
	}
	return 0; /* no "end": cut short */
}

/*
 * Container.alive: 1 while the recorded process runs (a zombie has exited and
 * a different start time is another process), 0 when it is gone, -1 unknown.
 */
static int alive(const struct fastpath *f)
{
	char path[32], stat[1024], *p;
	unsigned long long start_time;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", f->pid);
	if (read_file(AT_FDCWD, path, stat, sizeof(stat)) < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	p = strrchr(stat, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	p += 2; /* field 3, the state */
	if (*p == 'Z' || *p == 'X')
		return 0;
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	errno = 0;
	start_time = strtoull(p, NULL, 10);
	if (errno)
		return -1;
	return start_time == f->start_time;
}

/*
 * Cgroup.frozen: the first of the directories with a freezer.state (cgroup v1)
 * says FROZEN, or else the first with a cgroup.events (v2) has "frozen 1".
 * 1 frozen, 0 not, -1 when a file cannot be read.
 */
static int frozen(const struct fastpath *f)
{
	char path[PATH_MAX], buf[4096], *line, *next;
	int i;

	for (i = 0; i < f->ncgroups; i++) {
		snprintf(path, sizeof(path), "%s/freezer.state", f->cgroup[i]);
		if (read_file(AT_FDCWD, path, buf, sizeof(buf)) >= 0)
			return !strcmp(buf, "FROZEN\n") || !strcmp(buf, "FROZEN");
		if (errno != ENOENT)
			return -1;
	}
	for (i = 0; i < f->ncgroups; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.events", f->cgroup[i]);
		if (read_file(AT_FDCWD, path, buf, sizeof(buf)) < 0) {
			if (errno != ENOENT)
				return -1;
			continue;
		}
		for (line = buf; line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			if (!strcmp(line, "frozen 1"))
				return 1;
		}
		return 0;
	}
	return 0;
}

/*
 * Container.status of a container create finished: an index into STATUSES,
 * or -1 when something cannot be read (Java finds out what).
 */
static int live_status(int dir, const struct fastpath *f)
{
	int a = alive(f), fr;

	if (a < 0)
		return -1;
	if (a == 0)
		return STOPPED;
	fr = frozen(f);
	if (fr)
		return fr < 0 ? -1 : PAUSED;
	if (faccessat(dir, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return CREATED;
	return errno == ENOENT ? RUNNING : -1;
}

/* Lifecycle.start without hooks. */
static int start_container(const struct command *c, int dir, const struct fastpath *f)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	struct stat st;
	char byte = '0';
	ssize_t n;
	int fd;

	if (!f->start || live_status(dir, f) != CREATED)
		return FALL_BACK;
	/*
	 * No reader (ENXIO): the process is gone. No fifo (ENOENT): it is
	 * running already. Both are errors Java words.
	 */
	fd = openat(dir, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return FALL_BACK;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return FALL_BACK;
	}
	/* A reader that closed between open and write is EPIPE, not our death. */
	sigaction(SIGPIPE, &ignore, &old);
	do
		n = write(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	sigaction(SIGPIPE, &old, NULL);
	close(fd);
	if (n != 1)
		return FALL_BACK;
	/* The container runs its program now: from here on, report, never fall back. */
	if (unlinkat(dir, "exec.fifo", 0) < 0 && errno != ENOENT) {
		fprintf(stderr, "capsa: removing %s/%s/exec.fifo: %s\n", c->root, c->id,
			strerror(errno));
		return FAILED;
	}
	return DONE;
}

/* 1 when the cgroup directory has a process or a sub-cgroup (or cannot be read). */
static int cgroup_busy(const char *path)
{
	char buf[64];
	struct dirent *e;
	DIR *d;
	int fd, busy = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno != ENOENT;
	if (read_file(fd, "cgroup.procs", buf, sizeof(buf)) < 0 || buf[0]) {
		close(fd);
		return 1;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 1;
	}
	while (!busy && (e = readdir(d)))
		busy = e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return busy;
}

static int rmdir_retrying(const char *path)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < RMDIR_TRIES; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		nanosleep(&pause, NULL);
	}
	return -1;
}

/* Container.destroy: state.json first, so that a waiter sees the container gone. */
static int remove_state(const struct command *c, int root, int dir)
{
	struct dirent *e;
	DIR *d;
	int fd, err = 0;

	if (unlinkat(dir, "state.json", 0) < 0 && errno != ENOENT)
		return FALL_BACK;
	fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		err = errno;
		if (fd >= 0)
			close(fd);
	} else {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (unlinkat(dir, e->d_name, 0) < 0 && errno != ENOENT && !err)
				err = errno;
		}
		closedir(d);
	}
	if (!err && unlinkat(root, c->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
		err = errno;
	if (err) {
		fprintf(stderr, "capsa: removing the state of container \"%s\" in %s: %s\n",
			c->id, c->root, strerror(err));
		return FAILED;
	}
	return DONE;
}

/* Lifecycle.delete of a stopped container, without hooks or a systemd unit. */
static int delete_container(const struct command *c, int root, int dir,
			    const struct fastpath *f)
{
	int i;

	if (!f->delete || live_status(dir, f) != STOPPED)
		return FALL_BACK;
	/*
	 * Without a pid namespace the container's other processes outlive its
	 * first one; a container may have made sub-cgroups. Java kills the one
	 * and removes the other: look before changing anything.
	 */
	for (i = 0; i < f->ncgroups; i++) {
		if (cgroup_busy(f->cgroup[i]))
			return FALL_BACK;
	}
	/*
	 * A directory still busy after the retries goes to Java, which looks
	 * for processes in the directories left and retries once more.
	 */
	for (i = 0; i < f->ncgroups; i++) {
		if (rmdir_retrying(f->cgroup[i]) < 0)
			return FALL_BACK;
	}
	return remove_state(c, root, dir);
}

/*
 * The fastpath file of a container that exists (state.json is there: a
 * delete removes it first), parsed into f; 0 when any of it is missing, too
 * long or not as FastPath writes it.
 */
static int load_fastpath(int dir, struct fastpath *f)
{
	static char text[FASTPATH_MAX];
	ssize_t n;

	if (faccessat(dir, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	n = read_file(dir, "fastpath", text, sizeof(text));
	return n > 0 && n < (ssize_t)sizeof(text) - 1 && parse_fastpath(text, (size_t)n, f);
}

/* Lifecycle.state: no lock, as in Java; the file is replaced whole. */
static int print_state(int dir)
{
	struct fastpath f;
	const char *p;
	ssize_t n;
	size_t left;
	int status;

	if (!load_fastpath(dir, &f))
		return FALL_BACK;
	status = live_status(dir, &f);
	if (status < 0 || !f.state[status])
		return FALL_BACK;
	/* Java's System.out ignores a failed write, and so does this. */
	for (p = f.state[status], left = f.state_len[status]; left > 0;) {
		n = write(STDOUT_FILENO, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	return DONE;
}

static int fast_path(const struct command *c)
{
	struct fastpath f;
	int root, dir, lock, rc = FALL_BACK;

	root = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return FALL_BACK;
	dir = openat(root, c->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dir < 0) {
		close(root);
		return FALL_BACK;
	}
	if (!strcmp(c->name, "state")) {
		rc = print_state(dir);
		close(dir);
		close(root);
		return rc;
	}
	/* Container.lock: flock(LOCK_EX) on the lock file, then state.json must exist. */
	lock = openat(dir, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (lock >= 0) {
		int locked;

		do
			locked = flock(lock, LOCK_EX);
		while (locked < 0 && errno == EINTR);
		if (locked == 0 && load_fastpath(dir, &f)) {
			if (!strcmp(c->name, "start"))
				rc = start_container(c, dir, &f);
			else
				rc = delete_container(c, root, dir, &f);
		}
		close(lock);
	}
	close(dir);
	close(root);
	return rc;
}

/* The directory with capsa.jar: PREFIX/lib/capsa for PREFIX/bin/capsa, else our own. */
static int find_lib(char *lib, size_t size)
{
	char exe[PATH_MAX], jar[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	size_t len;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	len = strlen(exe);
	if (len >= 4 && !strcmp(exe + len - 4, "/bin")) {
		snprintf(lib, size, "%.*s/lib/capsa", (int)(len - 4), exe);
		snprintf(jar, sizeof(jar), "%s/capsa.jar", lib);
		if (access(jar, F_OK) == 0)
			return 0;
	}
	snprintf(lib, size, "%s", exe);
	snprintf(jar, sizeof(jar), "%s/capsa.jar", lib);
	return access(jar, F_OK);
}

/*
 * Execs the JVM the build recorded in LIB/java, with the AOT cache it trained
 * for this jar at this path. The cache is only used by a JVM with the same
 * flags: build/package.sh trains through this launcher (CAPSA_AOT_OUTPUT), so
 * the list below is the only one.
 *
 * ArchiveRelocationMode=0 maps the cache at the address it was written for
 * instead of relocating every pointer in it (JDK 25's default, for ASLR),
 * which costs ~6 ms of each start. The JVM only parses configs and state
 * (memory-safe Java); no container process ever runs in it. If the address is
 * taken, the JVM relocates as usual.
 */
static void exec_java(const char *lib, int argc, char **argv)
{
	char java[PATH_MAX + 16], cache[PATH_MAX + 32], home[PATH_MAX + 16], jar[PATH_MAX + 16];
	const char *output = getenv("CAPSA_AOT_OUTPUT");
	char *args[argc + 16];
	int n = 0, fd;
	ssize_t len;

	snprintf(java, sizeof(java), "%s/java", lib);
	fd = open(java, O_RDONLY | O_CLOEXEC);
	len = fd < 0 ? -1 : read(fd, java, sizeof(java) - 1);
	if (fd >= 0)
		close(fd);
	if (len <= 0) {
		fprintf(stderr, "capsa: %s is not built: run make\n", lib);
		exit(1);
	}
	java[len] = '\0';
	java[strcspn(java, "\n")] = '\0';
	if (output && *output && argc >= 2 && !strcmp(argv[1], "__train")) {
		snprintf(cache, sizeof(cache), "-XX:AOTCacheOutput=%s", output);
		args[n++] = java;
		args[n++] = cache;
		args[n++] = "-Xlog:aot=warning,cds=warning";
	} else {
		snprintf(cache, sizeof(cache), "-XX:AOTCache=%s/capsa.aot", lib);
		args[n++] = java;
		args[n++] = cache;
		args[n++] = "-Xlog:aot=off,cds=off";
	}
	snprintf(home, sizeof(home), "-Dcapsa.home=%s", lib);
	snprintf(jar, sizeof(jar), "%s/capsa.jar", lib);
	args[n++] = "-XX:+UnlockDiagnosticVMOptions";
	args[n++] = "-XX:ArchiveRelocationMode=0";
	args[n++] = "-XX:+UseSerialGC";
	args[n++] = "-XX:TieredStopAtLevel=1";
	args[n++] = "-XX:-UsePerfData";
	args[n++] = "--enable-native-access=ALL-UNNAMED";
	args[n++] = home;
	args[n++] = "-cp";
	args[n++] = jar;
	args[n++] = "dev.capsa.cli.Main";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execv(java, args);
	fprintf(stderr, "capsa: cannot run %s: %s\n", java, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	char lib[PATH_MAX];
	struct command c;

	if (find_lib(lib, sizeof(lib)) < 0) {
		fprintf(stderr, "capsa: no capsa.jar next to this program or in ../lib/capsa:"
				" run make\n");
		return 1;
	}
	if (parse_command(argc, argv, &c) && !getenv("CAPSA_NO_FAST_PATH")) {
		int rc = fast_path(&c);

		if (rc != FALL_BACK) {
			if (c.log && *c.log) {
				/* Java's Log.configure opens (creates) the --log file. */
				int fd = open(c.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
				if (fd >= 0)
					close(fd);
			}
			return rc;
		}
	}
	exec_java(lib, argc, argv);
	return 1;
}
