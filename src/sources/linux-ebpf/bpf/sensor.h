/* SPDX-License-Identifier: (GPL-2.0 OR Apache-2.0) */
/* Record layout shared by the BPF program, the loader and the TypeScript decoder
 * (src/sources/linux-ebpf/records.ts mirrors these offsets; change both together).
 * Every record starts with struct aw_hdr; `size` is the full record length. */
#pragma once

#define AW_PATH_MAX 4096      /* PATH_MAX: paths are never cut below the kernel's own limit */
#define AW_CHUNK 4096         /* argv/env are streamed in chunks of this size */
#define AW_ARGV_CHUNKS 512    /* 2 MiB of argv (the usual ARG_MAX); longer is flagged and counted (argv_truncated) */
#define AW_ENV_CHUNKS 8       /* 32 KiB of environment (markers only are kept in user space) */
#define AW_WALK_DEPTH 48      /* dentry levels walked for cwd and fd paths */
#define AW_NAME_MAX 256
#define AW_PAYLOAD 2048       /* DNS query / TLS ClientHello / CONNECT prefix */

enum aw_type {
  AW_FORK = 1,
  AW_EXEC = 2,
  AW_EXIT = 3,
  AW_SYS = 4,       /* a file syscall, read at exit: open, unlink, rename, chmod, ... */
  AW_CONNECT = 5,
  AW_PAYLOAD_REC = 6,
  AW_ARGV_CHUNK = 7,
  AW_ENV_CHUNK = 8,
  /* written by the loader itself */
  AW_HELLO = 100,
  AW_STATS = 101,
  AW_ROOT_EXIT = 102,
  AW_LOG = 103,
};

enum aw_sys {
  AW_S_OPEN = 1, AW_S_UNLINK, AW_S_RMDIR, AW_S_RENAME, AW_S_CHMOD, AW_S_FCHMOD, AW_S_CHOWN, AW_S_FCHOWN,
  AW_S_TRUNCATE, AW_S_FTRUNCATE, AW_S_CHDIR, AW_S_FCHDIR, AW_S_MMAP_EXEC, AW_S_MKDIR,
};

/* loss and suppression counters (per-CPU array index) */
enum aw_count {
  AW_C_RING_FULL = 0,     /* bpf_ringbuf_reserve/output failed: an event was lost */
  AW_C_ARGV_TRUNC,        /* argv longer than AW_ARGV_CHUNKS * AW_CHUNK */
  AW_C_ENV_TRUNC,         /* environment longer than AW_ENV_CHUNKS * AW_CHUNK */
  AW_C_PATH_TRUNC,        /* a path or walk hit its bound */
  AW_C_PROBE_ERR,         /* a user/kernel memory read failed */
  AW_C_PENDING_FULL,      /* enter->exit pairing map full */
  AW_C_NOISE,             /* read-only loader/locale opens suppressed by design (not a loss) */
  AW_C_EVENTS,            /* records submitted */
  AW_C_MAX,
};

/* record flags */
#define AW_F_ADOPTED 1u         /* fork: parent tracked through the ancestor fallback */
#define AW_F_ARGV_TRUNC 2u
#define AW_F_ENV_TRUNC 4u
#define AW_F_PATH_TRUNC 8u
#define AW_F_PROBE_ERR 16u
#define AW_F_TRACKED 32u        /* exec: process is in a tracked tree (else daemon-wide exec report) */
#define AW_F_CWD_TRUNC 64u

struct aw_hdr {
  unsigned int type;
  unsigned int size;
  unsigned int tgid;
  unsigned int tid;
  unsigned int ppid;
  unsigned int uid;
  unsigned int gid;
  unsigned int flags;
  unsigned long long ts;   /* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) */
  char comm[16];
};                          /* 56 bytes */

struct aw_fork {
  struct aw_hdr h;
  unsigned int child;
  unsigned int pad;
};

struct aw_exit {
  struct aw_hdr h;
  int code;
  int sig;
};

/* data: exe path (exe_len bytes incl. NUL), then cwd components leaf-first, NUL-separated (cwd_len) */
struct aw_exec {
  struct aw_hdr h;
  unsigned int argv_len;    /* arg_end - arg_start */
  unsigned int env_len;
  unsigned int argv_chunks; /* chunks emitted before this record */
  unsigned int env_chunks;
  unsigned int exe_len;
  unsigned int cwd_len;
  unsigned int euid;
  unsigned int old_pid;
  char data[AW_PATH_MAX + AW_WALK_DEPTH * AW_NAME_MAX];
};

struct aw_chunk {
  struct aw_hdr h;
  unsigned int off;
  unsigned int len;
  char data[AW_CHUNK];
};

/* one file syscall, emitted at exit. data: path1 at 0 (len1 incl. NUL), path2 at AW_PATH_MAX (len2).
 * For fd-based calls the path is a dentry walk, leaf-first components (walk=1). */
struct aw_sys_rec {
  struct aw_hdr h;
  unsigned int nr;
  int dfd;
  int dfd2;
  unsigned int len1;
  unsigned int len2;
  unsigned int walk;   /* 1: path1 is a leaf-first component list from the kernel */
  long long ret;
  long long a1;        /* open flags / chmod mode / uid / truncate length / mmap prot */
  long long a2;        /* open mode / gid / rename flags / unlinkat flags */
  char data[2 * AW_PATH_MAX];
};

struct aw_connect {
  struct aw_hdr h;
  int fd;
  int ret;
  unsigned short family;    /* from the user sockaddr */
  unsigned short sock_type; /* SOCK_STREAM 1, SOCK_DGRAM 2 */
  unsigned short proto;     /* IPPROTO_TCP 6, IPPROTO_UDP 17 */
  unsigned short lport;     /* local port after the call (host order) */
  unsigned char addr[112];  /* the user sockaddr as given (sockaddr_in/_in6/_un) */
  unsigned char laddr[16];  /* local address after the call */
  unsigned int addrlen;
  unsigned int pad;
};

/* kind: 1 DNS (UDP/53), 2 TLS ClientHello, 3 HTTP CONNECT line */
struct aw_payload {
  struct aw_hdr h;
  int fd;
  unsigned int kind;
  unsigned int len;       /* bytes the syscall sends */
  unsigned int copied;
  unsigned short family;
  unsigned short dport;
  unsigned short proto;
  unsigned short pad;
  unsigned char daddr[16];
  unsigned char data[AW_PAYLOAD];
};

struct aw_stats {
  struct aw_hdr h;
  unsigned long long counts[AW_C_MAX];
  unsigned long long written;   /* records the loader wrote so far (excluding this one) */
  unsigned long long tracked;   /* entries in the tracked map */
};

struct aw_hello {
  struct aw_hdr h;
  unsigned long long realtime_ns;
  unsigned long long monotonic_ns;
  unsigned int root_pid;        /* run mode: the tracked root; 0 in daemon mode */
  unsigned int version;
};

struct aw_root_exit {
  struct aw_hdr h;
  int status;                   /* raw wait status */
  int pad;
};
