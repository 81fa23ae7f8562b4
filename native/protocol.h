/*
 * capsa: the protocol between the runtime (Java) and the native stage.
 *
 * The two talk over one SOCK_SEQPACKET socketpair: every send is one packet, so
 * messages from the stage's two processes (the stage before its fork, and the
 * container process after it) never interleave mid-message.
 *
 * Every packet starts with this header:
 *
 *   struct capsa_msg { u32 type; i32 a; i32 b; u32 len; }  followed by len bytes
 *
 *  direction     type            a            b        payload
 *  ------------  --------------  -----------  -------  ---------------------------
 *  Java->stage   MSG_PROGRAM     total bytes  0        a chunk of the program; the
 *                                                      stage reads chunks until it
 *                                                      has `a` bytes
 *  stage->Java   MSG_PID         pid          0        -  pid of the container
 *                                                      process, as seen by Java
 *  stage->Java   MSG_SYNC        tag          0        -  stage waits for CONTINUE
 *  Java->stage   MSG_CONTINUE    0            0        -
 *  stage->Java   MSG_READY       0            0        -  container process waits
 *                                                      at the gate (created)
 *  stage->Java   MSG_ERROR       op index     errno    what failed (path, detail);
 *                                                      errno 0: no syscall failed
 *  stage->Java   MSG_FD          kind         0        -  with one fd in SCM_RIGHTS
 *                                                      (kind 1: seccomp listener)
 *  stage->Java   MSG_EXIT        wait status  0        -  the child of a waiting
 *                                                      OP_FORK has exited
 *  Java->stage   MSG_FD          slot         0        -  before a MSG_CONTINUE: a
 *                                                      detached mount (open_tree)
 *                                                      for OP_MOVE_TREE's slot
 *
 * The program, all integers little-endian:
 *
 *   u32 magic ("CAPS")  u32 version  u32 op count
 *   then per op: u32 opcode  u32 n_ints  u32 n_strings
 *                i64 ints[n_ints]
 *                per string: u32 length (including the NUL)  bytes  NUL
 *
 * The opcodes and the meaning of each argument are below; the Java side
 * (dev.capsa.setup.Op) mirrors them and a unit test checks the numbers.
 */
#ifndef CAPSA_PROTOCOL_H
#define CAPSA_PROTOCOL_H

#define CAPSA_MAGIC 0x53504143u /* "CAPS" */
#define CAPSA_VERSION 1u
#define CAPSA_MAX_PACKET 32768

enum capsa_msg_type {
	MSG_PROGRAM = 1,
	MSG_PID = 2,
	MSG_SYNC = 3,
	MSG_CONTINUE = 4,
	MSG_READY = 5,
	MSG_ERROR = 6,
	MSG_FD = 7,
	MSG_EXIT = 8,
};

#define FD_SECCOMP_LISTENER 1

/*
 * Ops. "in root" paths are resolved beneath the root register (OP_OPEN_ROOT)
 * with openat2(RESOLVE_IN_ROOT), so a symlink in the rootfs can never lead out
 * of it.
 *
 *  op                  ints                               strings
 */
enum capsa_op {
	OP_UNSHARE = 1,        /* flags                                                  */
	OP_SETNS = 2,          /* nstype[, slot of OP_OPEN_NS]    path                   */
	OP_FORK = 3,           /* wait  parent reports the child's pid (and, with wait,  */
	                       /*       its exit status) and exits; child calls setsid  */
	OP_SYNC = 4,           /* tag                                                    */
	OP_OPEN_ROOT = 5,      /* -                               host path              */
	OP_MOUNT = 6,          /* flags, target kind, create      source, target, fstype, data */
	OP_MOUNT_SETATTR = 7,  /* attr_set, attr_clr, propagation, recursive  target (in root) */
	OP_MKDIR = 8,          /* mode                            path (in root), parents made */
	OP_SYMLINK = 9,        /* replace                         link target, link path (in root) */
	OP_MKNOD = 10,         /* mode, major, minor, uid, gid    path (in root)         */
	OP_PIVOT_ROOT = 11,    /* -                               new root (host path)   */
	OP_MOVE_ROOT = 12,     /* -                               new root (host path)   */
	OP_SETHOSTNAME = 13,   /* -                               name                   */
	OP_SETDOMAINNAME = 14, /* -                               name                   */
	OP_WRITE_FILE = 15,    /* in root                         path, data             */
	OP_MASK_PATH = 16,     /* -                               path (in root)         */
	OP_READONLY_PATH = 17, /* -                               path (in root)         */
	OP_SETRLIMIT = 18,     /* resource, soft, hard                                   */
	OP_CHDIR = 19,         /* -                               path                   */
	OP_SETGROUPS = 20,     /* gid...                                                 */
	OP_SETRESGID = 21,     /* gid                                                    */
	OP_SETRESUID = 22,     /* uid                                                    */
	OP_UMASK = 23,         /* mask                                                   */
	OP_CAPBSET_DROP = 24,  /* keep mask (caps 0-63)                                  */
	OP_CAPSET = 25,        /* effective, permitted, inheritable masks                */
	OP_CAP_AMBIENT = 26,   /* mask                                                   */
	OP_KEEPCAPS = 27,      /* 0 or 1                                                 */
	OP_NO_NEW_PRIVS = 28,  /* -                                                      */
	OP_OPEN_GATE = 29,     /* -                               fifo path (host)       */
	OP_WAIT_GATE = 30,     /* -  report READY, wait until `start` writes the fifo    */
	OP_FIND_EXEC = 31,     /* -                               file, PATH             */
	OP_EXEC = 32,          /* argc                            argv..., envp...       */
	OP_SECCOMP = 33,       /* flags                           BPF program, hex       */
	OP_TERMINAL = 34,      /* console fd, rows, cols, uid     -  after pivot_root    */
	OP_SCHED = 35,         /* policy, flags, nice, prio, runtime, deadline, period   */
	OP_IOPRIO = 36,        /* ioprio value                                           */
	OP_AFFINITY = 37,      /* cpu mask words...                                      */
	OP_PERSONALITY = 38,   /* persona                                                */
	OP_MEMPOLICY = 39,     /* mode|flags, node mask words...                         */
	OP_IDMAP = 40,         /* recursive                       target (in root), userns path */
	OP_SAVE_DIR = 41,      /* -                               path (in root)         */
	OP_COPY_UP = 42,       /* -                               path (in root)         */
	OP_OPEN_NS = 43,       /* slot                            namespace file path    */
	OP_MOVE_TREE = 44,     /* slot, create (as OP_MOUNT)      target (in root)       */
	OP_MAX
};

/* OP_MOUNT target kinds */
#define TARGET_HOST 0    /* the target string is used as it is            */
#define TARGET_IN_ROOT 1 /* resolved beneath the root register            */

/* OP_MOUNT create */
#define CREATE_NONE 0
#define CREATE_DIR 1
#define CREATE_FILE 2

#endif
