/*
 * agentwarden-hook: the command an AI coding agent runs for each hook event.
 *
 * It sits on the agent's critical path, so it does the least possible work: read the
 * payload from stdin, hand it to the running AgentWarden hook server over a local unix
 * socket, print the server's answer (stdout, stderr, exit code) and exit. Node's cold
 * start alone is slower than the 20 ms budget, hence C.
 *
 * When the server cannot be reached (or does not answer in time) the payload is written
 * to the spool directory (one file per payload, fsync'd, atomically renamed) for the
 * server to drain on start, and the fail policy applies: "open" allows, "closed" blocks
 * pre-tool and prompt events with exit code 2 (the block code of every supported agent).
 *
 * Wire protocol (one connection per payload):
 *   request:  "AWH1 <agent> <id> <payload-length>\n" <payload bytes>, then shutdown(WR)
 *   response: "AWR1 <exit-code> <stdout-length> <stderr-length>\n" <stdout> <stderr>
 * Spool file: the request bytes, named "<id>.awh" (written as ".tmp-<id>" then renamed).
 *
 * Usage: agentwarden-hook --agent NAME --socket PATH --spool DIR [--fail open|closed] [--timeout-ms N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD (64u * 1024u * 1024u)

static const char *opt_agent = "unknown";
static const char *opt_socket = NULL;
static const char *opt_spool = NULL;
static int opt_fail_closed = 0;
static int opt_timeout_ms = 10000;

static char *payload = NULL;
static size_t payload_len = 0;
static char header[256];
static size_t header_len = 0;
static char id[80];

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static int read_stdin(void) {
  size_t cap = 16384;
  payload = malloc(cap);
  if (!payload) return -1;
  for (;;) {
    if (payload_len == cap) {
      if (cap >= MAX_PAYLOAD) break; /* the server marks it truncated by length only; keep going */
      cap *= 2;
      char *p = realloc(payload, cap);
      if (!p) return -1;
      payload = p;
    }
    ssize_t n = read(0, payload + payload_len, cap - payload_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    payload_len += (size_t)n;
  }
  return 0;
}

static void make_id(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  unsigned int r = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, &r, sizeof r) != (ssize_t)sizeof r) r = 0;
    close(fd);
  }
  /* Sortable by time: the spool drains in arrival order. */
  snprintf(id, sizeof id, "%019lld-%d-%08x", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)getpid(), r);
}

/* Finds the value of "hook_event_name" without a JSON parser (only for the fail-closed path). */
static int event_is_blockable(void) {
  static const char *key = "\"hook_event_name\"";
  char *p = memmem(payload, payload_len, key, strlen(key));
  if (!p) return 1; /* unknown shape: be closed */
  char *end = payload + payload_len;
  p += strlen(key);
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':')) p++;
  if (p >= end || *p != '"') return 1;
  p++;
  char *q = memchr(p, '"', (size_t)(end - p));
  if (!q) return 1;
  size_t n = (size_t)(q - p);
  static const char *names[] = {"PreToolUse", "BeforeTool", "preToolUse", "beforeShellExecution", "beforeMCPExecution",
                                "beforeReadFile", "UserPromptSubmit", "BeforeAgent", "beforeSubmitPrompt", NULL};
  for (int i = 0; names[i]; i++)
    if (strlen(names[i]) == n && memcmp(names[i], p, n) == 0) return 1;
  return 0;
}

static void mkdir_p(const char *dir) {
  char buf[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof buf) return;
  memcpy(buf, dir, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      mkdir(buf, 0700);
      *p = '/';
    }
  }
  mkdir(buf, 0700);
}

static int spool(void) {
  if (!opt_spool) return -1;
  mkdir_p(opt_spool);
  char tmp[4096], fin[4096];
  snprintf(tmp, sizeof tmp, "%s/.tmp-%s", opt_spool, id);
  snprintf(fin, sizeof fin, "%s/%s.awh", opt_spool, id);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (write_all(fd, header, header_len) || write_all(fd, payload, payload_len) || fsync(fd)) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  if (rename(tmp, fin)) {
    unlink(tmp);
    return -1;
  }
  int dfd = open(opt_spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
}

static int fallback(const char *why) {
  int spooled = spool() == 0;
  if (opt_fail_closed && event_is_blockable()) {
    dprintf(2, "blocked by AgentWarden: hook server unavailable (%s) and the policy is fail-closed%s\n", why,
            spooled ? "" : "; the payload could not be spooled");
    return 2;
  }
  return 0;
}

static int talk(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval tv = {opt_timeout_ms / 1000, (opt_timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(opt_socket) >= sizeof addr.sun_path) {
    close(fd);
    return -1;
  }
  strcpy(addr.sun_path, opt_socket);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  if (write_all(fd, header, header_len) || write_all(fd, payload, payload_len)) {
    close(fd);
    return -1;
  }
  shutdown(fd, SHUT_WR);
  size_t cap = 4096, len = 0;
  char *resp = malloc(cap);
  if (!resp) {
    close(fd);
    return -1;
  }
  for (;;) {
    if (len == cap) {
      cap *= 2;
      char *p = realloc(resp, cap);
      if (!p) {
        free(resp);
        close(fd);
        return -1;
      }
      resp = p;
    }
    ssize_t n = read(fd, resp + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      free(resp);
      close(fd);
      return -1;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  char *nl = memchr(resp, '\n', len);
  int code;
  unsigned long outlen, errlen;
  if (!nl || sscanf(resp, "AWR1 %d %lu %lu", &code, &outlen, &errlen) != 3 || (size_t)(nl + 1 - resp) + outlen + errlen > len) {
    free(resp);
    return -1;
  }
  char *body = nl + 1;
  write_all(1, body, outlen);
  write_all(2, body + outlen, errlen);
  free(resp);
  return code;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--agent") && v) opt_agent = argv[++i];
    else if (!strcmp(a, "--socket") && v) opt_socket = argv[++i];
    else if (!strcmp(a, "--spool") && v) opt_spool = argv[++i];
    else if (!strcmp(a, "--fail") && v) opt_fail_closed = !strcmp(argv[++i], "closed");
    else if (!strcmp(a, "--timeout-ms") && v) opt_timeout_ms = atoi(argv[++i]);
    else {
      dprintf(2, "agentwarden-hook: unknown argument %s\n", a);
      return 0; /* never break the agent over a bad flag */
    }
  }
  if (opt_timeout_ms <= 0) opt_timeout_ms = 10000;
  for (const char *c = opt_agent; *c; c++)
    if (*c == ' ' || *c == '\n') opt_agent = "unknown";
  if (read_stdin()) {
    dprintf(2, "agentwarden-hook: cannot read the payload\n");
    return opt_fail_closed ? 2 : 0;
  }
  make_id();
  header_len = (size_t)snprintf(header, sizeof header, "AWH1 %s %s %zu\n", opt_agent, id, payload_len);
  if (header_len >= sizeof header) return 0;
  if (!opt_socket) return fallback("no socket configured");
  int code = talk();
  if (code < 0) return fallback("not reachable");
  return code;
}
