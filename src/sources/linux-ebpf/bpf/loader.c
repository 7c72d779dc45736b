// SPDX-License-Identifier: Apache-2.0
// aw-sensor: the small privileged half of the Linux sensor. It loads the BPF program
// (sensor.bpf.c, CO-RE), attaches it, and copies ring-buffer records verbatim to fd 3
// (binary, framed by each record's own size); TypeScript decodes them (records.ts).
// Commands arrive as text lines on fd 4: "track PID", "untrack PID", "stop".
//
//   aw-sensor run [--linger-ms N] [--ring-mb N] -- CMD [ARGS...]
//       Forks CMD stopped on a pipe, inserts its pid into the tracked map, then lets it
//       exec: the root is tracked from its first instruction. Ends when CMD has exited and
//       its tracked descendants are gone (or --linger-ms after CMD's exit).
//   aw-sensor daemon [--ring-mb N]
//       Also reports every exec system-wide (argv prefix) for agent detection; runs until
//       "stop", SIGTERM or the end of fd 4.
//   aw-sensor probe
//       Loads and attaches, then exits 0 (capability check).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sensor.h"
#include "sensor.skel.h"

#define EV_FD 3
#define CTL_FD 4
#define OUT_CAP (8u << 20)

static int ev_fd = EV_FD;
static char *outbuf;
static size_t outlen;
static unsigned long long written;
static int broken;

static int quiet_print(enum libbpf_print_level l, const char *f, va_list a) {
  if (l == LIBBPF_DEBUG) return 0;
  return vfprintf(stderr, f, a);
}

static unsigned long long clock_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void flush_out(void) {
  size_t off = 0;
  while (off < outlen && !broken) {
    ssize_t n = write(ev_fd, outbuf + off, outlen - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      broken = 1; /* reader gone */
      break;
    }
    off += (size_t)n;
  }
  outlen = 0;
}

static void put(const void *rec, size_t size) {
  if (outlen + size > OUT_CAP) flush_out();
  memcpy(outbuf + outlen, rec, size);
  outlen += size;
  written++;
}

static int on_record(void *ctx, void *data, size_t size) {
  (void)ctx;
  put(data, size);
  if (outlen > OUT_CAP / 2) flush_out();
  return 0;
}

static void hdr(struct aw_hdr *h, unsigned type, unsigned size) {
  memset(h, 0, sizeof(*h));
  h->type = type;
  h->size = size;
  h->tgid = getpid();
  h->tid = getpid();
  h->ts = clock_ns(CLOCK_MONOTONIC);
  memcpy(h->comm, "aw-sensor", 10);
}

static void put_log(const char *msg) {
  struct { struct aw_hdr h; char text[256]; } r;
  hdr(&r.h, AW_LOG, 0);
  snprintf(r.text, sizeof r.text, "%s", msg);
  r.h.size = sizeof(r.h) + strlen(r.text) + 1;
  put(&r, r.h.size);
}

static void put_stats(struct sensor *skel) {
  struct aw_stats s;
  hdr(&s.h, AW_STATS, sizeof s);
  int ncpu = libbpf_num_possible_cpus();
  unsigned long long vals[ncpu > 0 ? ncpu : 1];
  int cfd = bpf_map__fd(skel->maps.counts);
  for (unsigned k = 0; k < AW_C_MAX; k++) {
    s.counts[k] = 0;
    if (bpf_map_lookup_elem(cfd, &k, vals) == 0)
      for (int c = 0; c < ncpu; c++) s.counts[k] += vals[c];
  }
  unsigned long long n = 0;
  unsigned key, next;
  int tfd = bpf_map__fd(skel->maps.tracked);
  void *prev = NULL;
  while (n < 100000 && bpf_map_get_next_key(tfd, prev, &next) == 0) {
    key = next;
    prev = &key;
    n++;
  }
  s.tracked = n;
  s.written = written;
  put(&s, sizeof s);
}

static int track(struct sensor *skel, unsigned pid, int on) {
  unsigned one = 1;
  int fd = bpf_map__fd(skel->maps.tracked);
  return on ? bpf_map_update_elem(fd, &pid, &one, BPF_ANY) : bpf_map_delete_elem(fd, &pid);
}

static void ensure_tracefs(void) {
  if (access("/sys/kernel/tracing/events/syscalls", F_OK) == 0) return;
  if (access("/sys/kernel/debug/tracing/events/syscalls", F_OK) == 0) return;
  if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)
    fprintf(stderr, "aw-sensor: mounting tracefs on /sys/kernel/tracing: %s\n", strerror(errno));
}

static void usage(void) {
  fprintf(stderr, "usage: aw-sensor run [--linger-ms N] [--ring-mb N] -- CMD [ARGS...]\n"
                  "       aw-sensor daemon [--ring-mb N]\n       aw-sensor probe\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  const char *mode = argv[1];
  int run = !strcmp(mode, "run"), daemon = !strcmp(mode, "daemon"), probe = !strcmp(mode, "probe");
  if (!run && !daemon && !probe) usage();
  long linger_ms = 2000, ring_mb = 64;
  int i = 2;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { i++; break; }
    if (!strcmp(argv[i], "--linger-ms") && i + 1 < argc) linger_ms = atol(argv[++i]);
    else if (!strcmp(argv[i], "--ring-mb") && i + 1 < argc) ring_mb = atol(argv[++i]);
    else if (argv[i][0] == '-') usage();
    else break;
  }
  char **cmd = argv + i;
  if (run && !*cmd) usage();
  if (fcntl(EV_FD, F_GETFD) < 0) ev_fd = STDOUT_FILENO;
  int ctl_fd = fcntl(CTL_FD, F_GETFD) < 0 ? -1 : CTL_FD;
  if (ev_fd == EV_FD) fcntl(EV_FD, F_SETFD, FD_CLOEXEC);
  if (ctl_fd >= 0) fcntl(ctl_fd, F_SETFD, FD_CLOEXEC);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  outbuf = malloc(OUT_CAP);
  if (!outbuf) return 1;

  libbpf_set_print(quiet_print);
  struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
  setrlimit(RLIMIT_MEMLOCK, &rl); /* BPF memory is memcg-accounted on >= 5.11; harmless if refused */
  ensure_tracefs();

  struct sensor *skel = sensor__open();
  if (!skel) { fprintf(stderr, "aw-sensor: open failed: %s\n", strerror(errno)); return 3; }
  skel->rodata->exec_all = daemon ? 1 : 0;
  if (ring_mb > 0) bpf_map__set_max_entries(skel->maps.rb, (unsigned)ring_mb << 20);
  bpf_program__set_autoattach(skel->progs.ex_common, false); /* reached by tail call only */
  int err = sensor__load(skel);
  if (err) { fprintf(stderr, "aw-sensor: load failed: %s (needs root or CAP_BPF+CAP_PERFMON)\n", strerror(-err)); return 3; }
  {
    unsigned z = 0;
    int pfd = bpf_program__fd(skel->progs.ex_common);
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.exit_prog), &z, &pfd, BPF_ANY)) { perror("aw-sensor: exit_prog"); return 3; }
  }
  err = sensor__attach(skel);
  if (err) { fprintf(stderr, "aw-sensor: attach failed: %s\n", strerror(-err)); return 3; }
  if (probe) { sensor__destroy(skel); printf("ok\n"); return 0; }

  struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_record, NULL, NULL);
  if (!rb) { fprintf(stderr, "aw-sensor: ring buffer: %s\n", strerror(errno)); return 3; }

  sigset_t ss;
  sigemptyset(&ss);
  sigaddset(&ss, SIGCHLD);
  sigaddset(&ss, SIGTERM);
  sigaddset(&ss, SIGHUP);
  if (daemon) sigaddset(&ss, SIGINT);
  sigprocmask(SIG_BLOCK, &ss, NULL);
  if (run) { signal(SIGINT, SIG_IGN); signal(SIGQUIT, SIG_IGN); } /* the terminal's signals are for CMD */
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &ss, SFD_CLOEXEC);

  pid_t child = 0;
  int go[2] = { -1, -1 };
  struct aw_hello hello;
  hdr(&hello.h, AW_HELLO, sizeof hello);
  hello.version = 1;
  hello.root_pid = 0;
  if (run) {
    if (pipe2(go, O_CLOEXEC)) return 1;
    child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
      char c;
      sigprocmask(SIG_UNBLOCK, &ss, NULL);
      signal(SIGINT, SIG_DFL);
      signal(SIGQUIT, SIG_DFL);
      signal(SIGPIPE, SIG_DFL);
      close(go[1]);
      /* wait until our pid is in the tracked map, so CMD is traced from its first instruction */
      if (read(go[0], &c, 1) != 1) _exit(126);
      execvp(cmd[0], cmd);
      fprintf(stderr, "aw-sensor: cannot run %s: %s\n", cmd[0], strerror(errno));
      _exit(errno == ENOENT ? 127 : 126);
    }
    close(go[0]);
    if (track(skel, child, 1)) { perror("aw-sensor: track"); kill(child, SIGKILL); return 1; }
    hello.root_pid = child;
  }
  hello.realtime_ns = clock_ns(CLOCK_REALTIME);
  hello.monotonic_ns = clock_ns(CLOCK_MONOTONIC);
  put(&hello, sizeof hello);
  flush_out();
  if (run) {
    /* release the child: it execs CMD now that its pid is tracked */
    if (write(go[1], "g", 1) != 1) perror("aw-sensor: release");
    close(go[1]);
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN };
  ev.data.u32 = 1;
  epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb), &ev);
  ev.data.u32 = 2;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  if (ctl_fd >= 0) { ev.data.u32 = 3; epoll_ctl(ep, EPOLL_CTL_ADD, ctl_fd, &ev); }

  char ctl[4096];
  size_t ctl_len = 0;
  int stop = 0, child_done = 0;
  unsigned long long last_stats = 0, child_exit_at = 0;
  while (!stop && !broken) {
    struct epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, 10); /* records arrive without wakeups (sensor.bpf.c wake()) */
    ring_buffer__consume(rb);
    for (int k = 0; k < n; k++) {
      if (evs[k].data.u32 == 2) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si) {
          if (si.ssi_signo == SIGCHLD && run) {
            int status;
            pid_t w;
            while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
              if (w != child) continue;
              ring_buffer__consume(rb);
              struct aw_root_exit re;
              hdr(&re.h, AW_ROOT_EXIT, sizeof re);
              re.h.tgid = child;
              re.status = status;
              re.pad = 0;
              put(&re, sizeof re);
              child_done = 1;
              child_exit_at = clock_ns(CLOCK_MONOTONIC);
            }
          } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP || si.ssi_signo == SIGINT) {
            if (run && !child_done) kill(child, si.ssi_signo);
            else stop = 1;
          }
          if (read(sfd, &si, 0) < 0) break;
          break;
        }
      } else if (evs[k].data.u32 == 3) {
        ssize_t r = read(ctl_fd, ctl + ctl_len, sizeof ctl - 1 - ctl_len);
        if (r <= 0) {
          epoll_ctl(ep, EPOLL_CTL_DEL, ctl_fd, NULL);
          if (daemon) stop = 1;
          continue;
        }
        ctl_len += (size_t)r;
        char *nl;
        while ((nl = memchr(ctl, '\n', ctl_len))) {
          *nl = 0;
          unsigned pid;
          char msg[128];
          if (sscanf(ctl, "track %u", &pid) == 1) {
            if (track(skel, pid, 1)) { snprintf(msg, sizeof msg, "track %u failed: %s", pid, strerror(errno)); put_log(msg); }
          } else if (sscanf(ctl, "untrack %u", &pid) == 1) {
            track(skel, pid, 0);
          } else if (!strcmp(ctl, "stop")) {
            stop = 1;
          } else if (!strcmp(ctl, "stats")) {
            put_stats(skel);
          }
          size_t used = (size_t)(nl - ctl) + 1;
          memmove(ctl, ctl + used, ctl_len - used);
          ctl_len -= used;
        }
        if (ctl_len == sizeof ctl - 1) ctl_len = 0;
      }
    }
    unsigned long long now = clock_ns(CLOCK_MONOTONIC);
    if (now - last_stats > 500000000ull) { put_stats(skel); last_stats = now; }
    flush_out();
    if (run && child_done) {
      int fd = bpf_map__fd(skel->maps.tracked);
      unsigned k;
      int empty = bpf_map_get_next_key(fd, NULL, &k) != 0;
      if (empty || now - child_exit_at > (unsigned long long)linger_ms * 1000000ull) stop = 1;
    }
  }
  ring_buffer__consume(rb);
  put_stats(skel);
  flush_out();
  /* end of stream before the slow part: detaching ~60 tracepoints takes seconds (one RCU
   * grace period each), and the reader must not wait for that */
  close(ev_fd);
  {
    /* nor must anyone waiting on our inherited stdio (a pipe to `tail`, a test harness) */
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) { dup2(nul, 0); dup2(nul, 1); dup2(nul, 2); if (nul > 2) close(nul); }
  }
  ring_buffer__free(rb);
  sensor__destroy(skel);
  return 0;
}
