// SPDX-License-Identifier: GPL-2.0
// AgentWarden kernel sensor: process-tree-scoped exec/fork/exit, file, library and network
// events into one BPF ring buffer. Tracepoints and BTF tracepoints only: kprobes, fentry and
// the BPF LSM are unavailable on the target kernels (docs/research: linux-sensor.md §1).
// Everything is filtered in kernel to tracked trees (the `tracked` map of tgids, propagated
// at fork), so untracked processes pay one hash lookup per traced syscall.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sensor.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load: report every exec system-wide (daemon agent detection). */
const volatile unsigned int exec_all = 0;

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, u32); __type(value, u32); } tracked SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 64 << 20); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, AW_C_MAX); __type(key, u32); __type(value, u64); } counts SEC(".maps");

struct pend { u32 nr; s32 dfd; s32 dfd2; u32 pad; u64 p1; u64 p2; s64 a1; s64 a2; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16384); __type(key, u32); __type(value, struct pend); } pending SEC(".maps");
struct cpend { s32 fd; u32 addrlen; u64 addr; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16384); __type(key, u32); __type(value, struct cpend); } cpending SEC(".maps");
/* sockets whose first TCP payload was already inspected (keyed by struct sock address) */
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 65536); __type(key, u64); __type(value, u8); } sock_seen SEC(".maps");

struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, struct aw_exec); } scratch_exec SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, struct aw_chunk); } scratch_chunk SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, struct aw_sys_rec); } scratch_sys SEC(".maps");

static __always_inline void count(u32 what) {
  u64 *v = bpf_map_lookup_elem(&counts, &what);
  if (v) (*v)++;
}
static __always_inline u32 cur_tgid(void) { return bpf_get_current_pid_tgid() >> 32; }
static __always_inline bool is_tracked(u32 tgid) { return bpf_map_lookup_elem(&tracked, &tgid) != NULL; }

static __always_inline void fill(struct aw_hdr *h, u32 type, u32 size) {
  u64 pt = bpf_get_current_pid_tgid();
  u64 ug = bpf_get_current_uid_gid();
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  h->type = type;
  h->size = size;
  h->tgid = pt >> 32;
  h->tid = (u32)pt;
  h->ppid = BPF_CORE_READ(t, real_parent, tgid);
  h->uid = (u32)ug;
  h->gid = ug >> 32;
  h->flags = 0;
  h->ts = bpf_ktime_get_ns();
  bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Waking the reader for every record costs a context switch per event; the loader polls
 * every 10 ms anyway, so wake it only when a backlog builds up. */
static __always_inline u64 wake(void) {
  return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > (1 << 20) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline long out(void *rec, u64 size) {
  long r = bpf_ringbuf_output(&rb, rec, size, wake());
  if (r) count(AW_C_RING_FULL);
  else count(AW_C_EVENTS);
  return r;
}

/* Walks dentries leaf -> root, crossing mounts, writing NUL-terminated names (leaf first)
 * into the per-CPU walk buffer. bpf_loop keeps the verifier's work per step constant. */
#define WALK_CAP (AW_WALK_DEPTH * AW_NAME_MAX)
struct walkbuf { char b[WALK_CAP + AW_NAME_MAX]; };
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, struct walkbuf); } scratch_walk SEC(".maps");
struct walk_ctx { struct dentry *d; struct vfsmount *vm; struct mount *m; u32 off; u32 cap; u32 done; u32 pad; };

static long walk_step(u32 i, void *arg) {
  struct walk_ctx *w = arg;
  u32 z = 0;
  struct walkbuf *wb = bpf_map_lookup_elem(&scratch_walk, &z);
  if (!wb) return 1;
  /* locals: BPF_CORE_READ on w->x would relocate the walk_ctx access itself */
  struct dentry *d = w->d;
  struct vfsmount *vm = w->vm;
  struct mount *m = w->m;
  struct dentry *parent = BPF_CORE_READ(d, d_parent);
  struct dentry *mroot = BPF_CORE_READ(vm, mnt_root);
  if (d == mroot || d == parent) {
    struct mount *mp = BPF_CORE_READ(m, mnt_parent);
    if (m == mp || !mp) { w->done = 1; return 1; }
    w->d = BPF_CORE_READ(m, mnt_mountpoint);
    w->m = mp;
    w->vm = (struct vfsmount *)((char *)mp + bpf_core_field_offset(struct mount, mnt));
    return 0;
  }
  u32 off = w->off;
  if (off > w->cap - AW_NAME_MAX || off > WALK_CAP - AW_NAME_MAX) return 1;
  const unsigned char *nm = BPF_CORE_READ(d, d_name.name);
  long n = bpf_probe_read_kernel_str(wb->b + off, AW_NAME_MAX, nm);
  if (n <= 0) return 1;
  w->off = off + n;
  w->d = parent;
  return 0;
}

/* Returns the bytes written into scratch_walk; *trunc set when a bound was hit. */
static __always_inline u32 walk_path(struct dentry *d, struct vfsmount *vm, u32 cap, u32 *trunc) {
  struct walk_ctx w = { .d = d, .vm = vm, .off = 0, .cap = cap, .done = 0 };
  w.m = (struct mount *)((char *)vm - bpf_core_field_offset(struct mount, mnt));
  bpf_loop(AW_WALK_DEPTH * 2, walk_step, &w, 0);
  *trunc = !w.done;
  return w.off;
}

static __always_inline u32 copy_walk(char *dst, u32 len, u32 cap) {
  u32 z = 0;
  struct walkbuf *wb = bpf_map_lookup_elem(&scratch_walk, &z);
  if (!wb) return 0;
  if (len > cap) len = cap;
  if (len > WALK_CAP) len = WALK_CAP;
  if (bpf_probe_read_kernel(dst, len, wb->b)) return 0;
  return len;
}

static __always_inline struct file *fd_file(s32 fd) {
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if (fd < 0 || (u32)fd >= max) return NULL;
  struct file **arr = BPF_CORE_READ(fdt, fd);
  struct file *f = NULL;
  bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
  return f;
}

/* ---------------- process tree ---------------- */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child) {
  u32 ptgid = parent->tgid, ctgid = child->tgid, flags = 0;
  if (ctgid == ptgid) return 0; /* a thread: tracking is per tgid */
  if (!is_tracked(ptgid)) {
    /* A process forked before its ancestor was tracked (daemon attach after start):
     * adopt it when one of its nearest ancestors is tracked. */
    struct task_struct *p = parent;
    bool hit = false;
    for (int i = 0; i < 12; i++) {
      p = BPF_CORE_READ(p, real_parent);
      if (!p) break;
      u32 t = BPF_CORE_READ(p, tgid);
      if (t <= 1) break;
      if (is_tracked(t)) { hit = true; break; }
    }
    if (!hit) return 0;
    u32 one = 1;
    bpf_map_update_elem(&tracked, &ptgid, &one, BPF_ANY);
    flags |= AW_F_ADOPTED;
  }
  u32 one = 1;
  if (bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY)) count(AW_C_PROBE_ERR);
  struct aw_fork *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) { count(AW_C_RING_FULL); return 0; }
  fill(&e->h, AW_FORK, sizeof(*e));
  e->h.tgid = ptgid;
  e->h.flags = flags;
  e->child = ctgid;
  e->pad = 0;
  bpf_ringbuf_submit(e, wake());
  count(AW_C_EVENTS);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead) {
  u32 tgid = p->tgid;
  if (!group_dead || !is_tracked(tgid)) return 0;
  bpf_map_delete_elem(&tracked, &tgid);
  struct aw_exit *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) { count(AW_C_RING_FULL); return 0; }
  fill(&e->h, AW_EXIT, sizeof(*e));
  e->h.tgid = tgid;
  int code = BPF_CORE_READ(p, exit_code);
  e->code = (code >> 8) & 0xff;
  e->sig = code & 0x7f;
  bpf_ringbuf_submit(e, wake());
  count(AW_C_EVENTS);
  return 0;
}

struct chunk_ctx { struct aw_hdr base; u64 start; u64 len; u32 type; u32 emitted; u32 flags; u32 pad; };

static long chunk_step(u32 i, void *arg) {
  struct chunk_ctx *k = arg;
  u32 z = 0;
  struct aw_chunk *c = bpf_map_lookup_elem(&scratch_chunk, &z);
  if (!c) return 1;
  u64 off = (u64)i * AW_CHUNK;
  if (off >= k->len) return 1;
  u64 n = k->len - off;
  if (n > AW_CHUNK) n = AW_CHUNK;
  c->h = k->base;
  c->h.type = k->type;
  c->off = off;
  if (bpf_probe_read_user(c->data, n, (void *)(k->start + off))) {
    count(AW_C_PROBE_ERR);
    k->flags |= AW_F_PROBE_ERR;
    n = 0;
  }
  c->len = n;
  u64 sz = offsetof(struct aw_chunk, data) + n;
  if (sz > sizeof(*c)) sz = sizeof(*c);
  c->h.size = sz;
  if (out(c, sz) == 0) k->emitted++;
  else k->flags |= AW_F_PROBE_ERR;
  return 0;
}

static __always_inline u32 emit_chunks(u32 type, u64 start, u64 len, u32 max_chunks, struct aw_hdr *base, u32 *flags) {
  struct chunk_ctx k = { .start = start, .len = len, .type = type, .emitted = 0, .flags = 0 };
  k.base = *base;
  bpf_loop(max_chunks, chunk_step, &k, 0);
  *flags |= k.flags;
  return k.emitted;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
  u32 tgid = p->tgid;
  bool tr = is_tracked(tgid);
  if (!tr && !exec_all) return 0;
  u32 z = 0;
  struct aw_exec *e = bpf_map_lookup_elem(&scratch_exec, &z);
  if (!e) return 0;
  fill(&e->h, AW_EXEC, 0);
  u32 flags = tr ? AW_F_TRACKED : 0;
  e->old_pid = old_pid;
  e->euid = BPF_CORE_READ(p, cred, euid.val);
  u64 as = BPF_CORE_READ(p, mm, arg_start), ae = BPF_CORE_READ(p, mm, arg_end);
  u64 es = BPF_CORE_READ(p, mm, env_start), ee = BPF_CORE_READ(p, mm, env_end);
  u64 alen = ae > as ? ae - as : 0, elen = ee > es ? ee - es : 0;
  e->argv_len = alen;
  e->env_len = elen;
  /* Untracked execs (daemon-wide agent detection) carry only the first argv chunk. */
  u32 amax = tr ? AW_ARGV_CHUNKS : 1;
  e->argv_chunks = emit_chunks(AW_ARGV_CHUNK, as, alen, amax, &e->h, &flags);
  if (tr && alen > (u64)AW_ARGV_CHUNKS * AW_CHUNK) { flags |= AW_F_ARGV_TRUNC; count(AW_C_ARGV_TRUNC); }
  e->env_chunks = 0;
  if (tr) {
    e->env_chunks = emit_chunks(AW_ENV_CHUNK, es, elen, AW_ENV_CHUNKS, &e->h, &flags);
    if (elen > (u64)AW_ENV_CHUNKS * AW_CHUNK) { flags |= AW_F_ENV_TRUNC; count(AW_C_ENV_TRUNC); }
  }
  long n = bpf_probe_read_kernel_str(e->data, AW_PATH_MAX, BPF_CORE_READ(bprm, filename));
  if (n < 0) { n = 0; count(AW_C_PROBE_ERR); }
  e->exe_len = n;
  u32 cwd_len = 0, trunc = 0;
  if (tr) {
    struct dentry *d = BPF_CORE_READ(p, fs, pwd.dentry);
    struct vfsmount *vm = BPF_CORE_READ(p, fs, pwd.mnt);
    u32 w = walk_path(d, vm, WALK_CAP, &trunc);
    cwd_len = copy_walk(e->data + AW_PATH_MAX, w, WALK_CAP);
    if (trunc) { flags |= AW_F_CWD_TRUNC; count(AW_C_PATH_TRUNC); }
  }
  e->cwd_len = cwd_len;
  e->h.flags = flags;
  u64 sz = offsetof(struct aw_exec, data) + AW_PATH_MAX + cwd_len;
  if (sz > sizeof(*e)) sz = sizeof(*e);
  e->h.size = sz;
  out(e, sz);
  return 0;
}

/* ---------------- file syscalls: remember at enter, read at exit ---------------- */
static __always_inline int remember(u32 nr, s32 dfd, u64 p1, s32 dfd2, u64 p2, s64 a1, s64 a2) {
  if (!is_tracked(cur_tgid())) return 0;
  u32 tid = (u32)bpf_get_current_pid_tgid();
  struct pend pd = { .nr = nr, .dfd = dfd, .dfd2 = dfd2, .p1 = p1, .p2 = p2, .a1 = a1, .a2 = a2 };
  if (bpf_map_update_elem(&pending, &tid, &pd, BPF_ANY)) count(AW_C_PENDING_FULL);
  return 0;
}

#define AT_FDCWD_ -100
#define ENTER(name) SEC("tp/syscalls/sys_enter_" #name) int en_##name(struct trace_event_raw_sys_enter *c)
#define A(i) (c->args[i])

ENTER(open) { return remember(AW_S_OPEN, AT_FDCWD_, A(0), 0, 0, A(1), A(2)); }
ENTER(openat) { return remember(AW_S_OPEN, A(0), A(1), 0, 0, A(2), A(3)); }
ENTER(creat) { return remember(AW_S_OPEN, AT_FDCWD_, A(0), 0, 0, 0x241, A(1)); }
ENTER(openat2) {
  if (!is_tracked(cur_tgid())) return 0;
  u64 how[2] = {};
  bpf_probe_read_user(how, sizeof(how), (void *)A(2));
  return remember(AW_S_OPEN, A(0), A(1), 0, 0, how[0], how[1]);
}
ENTER(unlink) { return remember(AW_S_UNLINK, AT_FDCWD_, A(0), 0, 0, 0, 0); }
ENTER(unlinkat) { return remember((A(2) & 0x200) ? AW_S_RMDIR : AW_S_UNLINK, A(0), A(1), 0, 0, 0, A(2)); }
ENTER(rmdir) { return remember(AW_S_RMDIR, AT_FDCWD_, A(0), 0, 0, 0, 0); }
ENTER(rename) { return remember(AW_S_RENAME, AT_FDCWD_, A(0), AT_FDCWD_, A(1), 0, 0); }
ENTER(renameat) { return remember(AW_S_RENAME, A(0), A(1), A(2), A(3), 0, 0); }
ENTER(renameat2) { return remember(AW_S_RENAME, A(0), A(1), A(2), A(3), 0, A(4)); }
ENTER(chmod) { return remember(AW_S_CHMOD, AT_FDCWD_, A(0), 0, 0, A(1), 0); }
ENTER(fchmodat) { return remember(AW_S_CHMOD, A(0), A(1), 0, 0, A(2), 0); }
ENTER(fchmodat2) { return remember(AW_S_CHMOD, A(0), A(1), 0, 0, A(2), A(3)); }
ENTER(fchmod) { return remember(AW_S_FCHMOD, A(0), 0, 0, 0, A(1), 0); }
ENTER(chown) { return remember(AW_S_CHOWN, AT_FDCWD_, A(0), 0, 0, A(1), A(2)); }
ENTER(lchown) { return remember(AW_S_CHOWN, AT_FDCWD_, A(0), 0, 0, A(1), A(2)); }
ENTER(fchownat) { return remember(AW_S_CHOWN, A(0), A(1), 0, 0, A(2), A(3)); }
ENTER(fchown) { return remember(AW_S_FCHOWN, A(0), 0, 0, 0, A(1), A(2)); }
ENTER(truncate) { return remember(AW_S_TRUNCATE, AT_FDCWD_, A(0), 0, 0, A(1), 0); }
ENTER(ftruncate) { return remember(AW_S_FTRUNCATE, A(0), 0, 0, 0, A(1), 0); }
ENTER(chdir) { return remember(AW_S_CHDIR, AT_FDCWD_, A(0), 0, 0, 0, 0); }
ENTER(fchdir) { return remember(AW_S_FCHDIR, A(0), 0, 0, 0, 0, 0); }
ENTER(mkdir) { return remember(AW_S_MKDIR, AT_FDCWD_, A(0), 0, 0, A(1), 0); }
ENTER(mkdirat) { return remember(AW_S_MKDIR, A(0), A(1), 0, 0, A(2), 0); }
ENTER(mmap) {
  /* shared libraries and other files mapped executable */
  if (!(A(2) & 4) || (s64)A(4) < 0) return 0;
  return remember(AW_S_MMAP_EXEC, A(4), 0, 0, 0, A(2), 0);
}

/* Read-only opens under these prefixes (dynamic loader, locale, zoneinfo) are the bulk of a
 * process start (31 of 31 opens for one `cat`, linux-sensor.md) and never hold secrets:
 * they are suppressed in kernel and counted (AW_C_NOISE). Executable mappings of the same
 * files are still reported as library loads. */
static __always_inline bool pfx(const char *s, const char *p, int n) {
  for (int i = 0; i < n; i++)
    if (s[i] != p[i]) return false;
  return true;
}
static __always_inline bool noise_path(const char *s) {
  if (s[0] != '/') return false;
  if (pfx(s, "/usr/lib/", 9) || pfx(s, "/lib/", 5) || pfx(s, "/lib64/", 7) || pfx(s, "/usr/lib64/", 11)) return true;
  if (pfx(s, "/etc/ld.so.cache", 17)) return true;
  if (pfx(s, "/usr/share/locale/", 18) || pfx(s, "/usr/share/zoneinfo/", 20) || pfx(s, "/usr/share/i18n/", 16)) return true;
  if (pfx(s, "/etc/localtime", 15) || pfx(s, "/dev/null", 10) || pfx(s, "/sys/devices/system/cpu/", 24)) return true;
  return false;
}

static __always_inline bool fd_based(u32 nr) {
  return nr == AW_S_FCHMOD || nr == AW_S_FCHOWN || nr == AW_S_FTRUNCATE || nr == AW_S_FCHDIR || nr == AW_S_MMAP_EXEC;
}

static __always_inline int sys_exit(long ret) {
  u32 tid = (u32)bpf_get_current_pid_tgid();
  struct pend *pp = bpf_map_lookup_elem(&pending, &tid);
  if (!pp) return 0;
  struct pend p = *pp;
  bpf_map_delete_elem(&pending, &tid);
  if (p.nr == AW_S_MMAP_EXEC && ret < 0 && ret > -4096) return 0;
  u32 z = 0;
  struct aw_sys_rec *e = bpf_map_lookup_elem(&scratch_sys, &z);
  if (!e) return 0;
  fill(&e->h, AW_SYS, 0);
  e->nr = p.nr;
  e->dfd = p.dfd;
  e->dfd2 = p.dfd2;
  e->ret = ret;
  e->a1 = p.a1;
  e->a2 = p.a2;
  e->walk = 0;
  e->len1 = 0;
  e->len2 = 0;
  u64 sz;
  if (fd_based(p.nr)) {
    struct file *f = fd_file(p.dfd);
    u32 w = 0, trunc = 0;
    if (f) {
      struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
      struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
      w = walk_path(d, vm, AW_PATH_MAX, &trunc);
      w = copy_walk(e->data, w, AW_PATH_MAX);
      if (trunc) { e->h.flags |= AW_F_PATH_TRUNC; count(AW_C_PATH_TRUNC); }
    }
    e->walk = 1;
    e->len1 = w;
    sz = offsetof(struct aw_sys_rec, data) + w;
  } else {
    long n = bpf_probe_read_user_str(e->data, AW_PATH_MAX, (void *)p.p1);
    if (n < 0) { n = 0; e->h.flags |= AW_F_PROBE_ERR; count(AW_C_PROBE_ERR); }
    e->len1 = n;
    if (p.nr == AW_S_OPEN) {
      s64 fl = p.a1;
      bool rdonly = (fl & 3) == 0 && !(fl & 0x240); /* O_RDONLY without O_CREAT|O_TRUNC */
      if (rdonly && noise_path(e->data)) { count(AW_C_NOISE); return 0; }
    }
    sz = offsetof(struct aw_sys_rec, data) + n;
    if (p.p2) {
      long n2 = bpf_probe_read_user_str(e->data + AW_PATH_MAX, AW_PATH_MAX, (void *)p.p2);
      if (n2 < 0) { n2 = 0; e->h.flags |= AW_F_PROBE_ERR; count(AW_C_PROBE_ERR); }
      e->len2 = n2;
      sz = offsetof(struct aw_sys_rec, data) + AW_PATH_MAX + n2;
    }
  }
  if (sz > sizeof(*e)) sz = sizeof(*e);
  e->h.size = sz;
  out(e, sz);
  return 0;
}

/* One shared exit handler reached by tail call: verified once instead of once per syscall
 * (25 inlined copies took 10 s to load; this way the whole object loads in about 2 s). */
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u32); } exit_prog SEC(".maps");

SEC("tp/syscalls/sys_exit_openat")
int ex_common(struct trace_event_raw_sys_exit *c) { return sys_exit(c->ret); }

#define EXIT(name) SEC("tp/syscalls/sys_exit_" #name) int ex_##name(struct trace_event_raw_sys_exit *c) { \
  bpf_tail_call(c, &exit_prog, 0); return 0; }
EXIT(open) EXIT(openat) EXIT(creat) EXIT(openat2) EXIT(unlink) EXIT(unlinkat) EXIT(rmdir)
EXIT(rename) EXIT(renameat) EXIT(renameat2) EXIT(chmod) EXIT(fchmodat) EXIT(fchmodat2) EXIT(fchmod)
EXIT(chown) EXIT(lchown) EXIT(fchownat) EXIT(fchown) EXIT(truncate) EXIT(ftruncate) EXIT(chdir)
EXIT(fchdir) EXIT(mkdir) EXIT(mkdirat) EXIT(mmap)

/* ---------------- network ---------------- */
ENTER(connect) {
  if (!is_tracked(cur_tgid())) return 0;
  u32 tid = (u32)bpf_get_current_pid_tgid();
  struct cpend cp = { .fd = A(0), .addr = A(1), .addrlen = A(2) };
  if (bpf_map_update_elem(&cpending, &tid, &cp, BPF_ANY)) count(AW_C_PENDING_FULL);
  return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int ex_connect(struct trace_event_raw_sys_exit *c) {
  u32 tid = (u32)bpf_get_current_pid_tgid();
  struct cpend *pp = bpf_map_lookup_elem(&cpending, &tid);
  if (!pp) return 0;
  struct cpend p = *pp;
  bpf_map_delete_elem(&cpending, &tid);
  struct aw_connect *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) { count(AW_C_RING_FULL); return 0; }
  fill(&e->h, AW_CONNECT, sizeof(*e));
  e->fd = p.fd;
  e->ret = c->ret;
  e->addrlen = p.addrlen;
  u32 n = p.addrlen;
  if (n > sizeof(e->addr)) n = sizeof(e->addr);
  __builtin_memset(e->addr, 0, sizeof(e->addr));
  __builtin_memset(e->laddr, 0, sizeof(e->laddr));
  if (bpf_probe_read_user(e->addr, n, (void *)p.addr)) { e->h.flags |= AW_F_PROBE_ERR; count(AW_C_PROBE_ERR); }
  e->family = *(u16 *)e->addr;
  e->sock_type = 0; e->proto = 0; e->lport = 0; e->pad = 0;
  struct file *f = fd_file(p.fd);
  if (f) {
    struct socket *sock = (struct socket *)BPF_CORE_READ(f, private_data);
    e->sock_type = BPF_CORE_READ(sock, type);
    struct sock *sk = BPF_CORE_READ(sock, sk);
    if (sk) {
      e->proto = BPF_CORE_READ(sk, sk_protocol);
      e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
      u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
      if (fam == 2) {
        u32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
        __builtin_memcpy(e->laddr, &a, 4);
      } else if (fam == 10) {
        BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
      }
    }
  }
  bpf_ringbuf_submit(e, wake());
  count(AW_C_EVENTS);
  return 0;
}

/* DNS queries (UDP/53), TLS ClientHello (first payload of a TCP socket) and proxy CONNECT
 * lines: the prefix is copied and parsed in user space. */
static __always_inline int payload(s32 fd, u64 buf, u64 len, u64 uaddr) {
  if (!buf || !len || !is_tracked(cur_tgid())) return 0;
  struct file *f = fd_file(fd);
  if (!f) return 0;
  umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
  if ((mode & 0xf000) != 0xc000) return 0;
  struct socket *sock = (struct socket *)BPF_CORE_READ(f, private_data);
  struct sock *sk = BPF_CORE_READ(sock, sk);
  if (!sk) return 0;
  u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (fam != 2 && fam != 10) return 0;
  u16 proto = BPF_CORE_READ(sk, sk_protocol);
  u16 dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  unsigned char sa[24] = {};
  if (uaddr) {
    bpf_probe_read_user(sa, sizeof(sa), (void *)uaddr);
    dport = ((u16)sa[2] << 8) | sa[3];
  }
  u32 kind = 0, cap = 0;
  if (proto == 17 && dport == 53) {
    kind = 1;
    cap = 512;
  } else if (proto == 6) {
    u64 key = (u64)sk;
    if (bpf_map_lookup_elem(&sock_seen, &key)) return 0;
    unsigned char b[8] = {};
    bpf_probe_read_user(b, sizeof(b), (void *)buf);
    if (b[0] == 0x16 && b[1] == 0x03 && b[5] == 0x01) {
      kind = 2;
      cap = AW_PAYLOAD;
    } else if (b[0] == 'C' && b[1] == 'O' && b[2] == 'N' && b[3] == 'N' && b[7] == ' ') {
      kind = 3; /* CONNECT host:port: the TLS hello follows, keep inspecting this socket */
      cap = 256;
    }
    if (kind != 3) {
      u8 one = 1;
      bpf_map_update_elem(&sock_seen, &key, &one, BPF_ANY);
    }
    if (!kind) return 0;
  } else {
    return 0;
  }
  struct aw_payload *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) { count(AW_C_RING_FULL); return 0; }
  fill(&e->h, AW_PAYLOAD_REC, sizeof(*e));
  e->fd = fd;
  e->kind = kind;
  e->len = len;
  e->family = fam;
  e->dport = dport;
  e->proto = proto;
  e->pad = 0;
  __builtin_memset(e->daddr, 0, sizeof(e->daddr));
  if (uaddr) {
    if (sa[0] == 2) __builtin_memcpy(e->daddr, sa + 4, 4);
    else if (sa[0] == 10) __builtin_memcpy(e->daddr, sa + 8, 16);
  } else if (fam == 2) {
    u32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(e->daddr, &a, 4);
  } else {
    BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
  }
  u64 n = len < cap ? len : cap;
  if (n > AW_PAYLOAD) n = AW_PAYLOAD;
  if (bpf_probe_read_user(e->data, n, (void *)buf)) { n = 0; e->h.flags |= AW_F_PROBE_ERR; count(AW_C_PROBE_ERR); }
  e->copied = n;
  bpf_ringbuf_submit(e, wake());
  count(AW_C_EVENTS);
  return 0;
}

ENTER(write) { return payload(A(0), A(1), A(2), 0); }
ENTER(sendto) { return payload(A(0), A(1), A(2), A(4)); }
ENTER(writev) {
  if (!is_tracked(cur_tgid())) return 0;
  struct iovec iv = {};
  bpf_probe_read_user(&iv, sizeof(iv), (void *)A(1));
  return payload(A(0), (u64)iv.iov_base, iv.iov_len, 0);
}
static __always_inline int msghdr_payload(s32 fd, u64 umsg) {
  struct user_msghdr m = {};
  struct iovec iv = {};
  bpf_probe_read_user(&m, sizeof(m), (void *)umsg);
  if (!m.msg_iov) return 0;
  bpf_probe_read_user(&iv, sizeof(iv), m.msg_iov);
  return payload(fd, (u64)iv.iov_base, iv.iov_len, (u64)m.msg_name);
}
ENTER(sendmsg) {
  if (!is_tracked(cur_tgid())) return 0;
  return msghdr_payload(A(0), A(1));
}
ENTER(sendmmsg) {
  /* glibc sends the A and AAAA queries in one sendmmsg; the first carries the name */
  if (!is_tracked(cur_tgid()) || A(2) < 1) return 0;
  return msghdr_payload(A(0), A(1));
}
