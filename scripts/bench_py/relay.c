/*
 * The floor of orch's architecture, for scripts/bench only: one process between the policy and the
 * server, doing nothing but relaying. It listens on a Unix socket for HTTP/1.1 keep-alive POSTs
 * whose body is a JSON-RPC message, writes that line to the server's stdin, and answers with the
 * server's next response line (notifications from the server are skipped). A body without an
 * "id" (a notification) is answered 202 at once.
 *
 * Usage: relay SOCKET_PATH -- COMMAND [ARGS...]     (serves one client, then exits)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char inbuf[1 << 16];
static size_t inlen;

static int fill(int fd) {
  if (inlen == sizeof inbuf) return -1;
  ssize_t n = read(fd, inbuf + inlen, sizeof inbuf - inlen);
  if (n <= 0) return -1;
  inlen += (size_t)n;
  return 0;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One line from the server's stdout, buffered. */
static char *line;
static size_t line_cap, line_len;
static char outbuf[1 << 16];
static size_t out_pos, out_len;

static int read_line(int fd) {
  line_len = 0;
  for (;;) {
    if (out_pos == out_len) {
      ssize_t n = read(fd, outbuf, sizeof outbuf);
      if (n <= 0) return -1;
      out_pos = 0;
      out_len = (size_t)n;
    }
    char *nl = memchr(outbuf + out_pos, '\n', out_len - out_pos);
    size_t take = nl ? (size_t)(nl - (outbuf + out_pos)) : out_len - out_pos;
    if (line_len + take + 1 > line_cap) {
      line_cap = (line_len + take + 1) * 2;
      line = realloc(line, line_cap);
    }
    memcpy(line + line_len, outbuf + out_pos, take);
    line_len += take;
    out_pos += take + (nl ? 1 : 0);
    if (nl) return 0;
  }
}

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: relay SOCKET -- COMMAND...\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int to_server[2], from_server[2];
  if (pipe(to_server) || pipe(from_server)) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(to_server[0], 0);
    dup2(from_server[1], 1);
    close(to_server[1]);
    close(from_server[0]);
    execvp(argv[3], argv + 3);
    _exit(127);
  }
  close(to_server[0]);
  close(from_server[1]);
  int srv_in = to_server[1], srv_out = from_server[0];

  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  unlink(argv[1]);
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) || listen(ls, 1)) return 1;
  printf("ready\n");
  fflush(stdout);
  int c = accept(ls, NULL, NULL);
  for (;;) {
    char *end;
    while (!(end = memmem(inbuf, inlen, "\r\n\r\n", 4))) {
      if (fill(c)) goto done;
    }
    size_t head = (size_t)(end - inbuf) + 4;
    long clen = 0;
    char *cl = memmem(inbuf, head, "Content-Length:", 15);
    if (!cl) cl = memmem(inbuf, head, "content-length:", 15);
    if (cl) clen = strtol(cl + 15, NULL, 10);
    while (inlen < head + (size_t)clen) {
      if (fill(c)) goto done;
    }
    char *body = inbuf + head;
    int is_request = memmem(body, (size_t)clen, "\"id\"", 4) != NULL;
    if (write_all(srv_in, body, (size_t)clen) || write_all(srv_in, "\n", 1)) goto done;
    memmove(inbuf, inbuf + head + clen, inlen - head - (size_t)clen);
    inlen -= head + (size_t)clen;
    if (!is_request) {
      const char *r = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
      if (write_all(c, r, strlen(r))) goto done;
      continue;
    }
    do {
      if (read_line(srv_out)) goto done;
    } while (memmem(line, line_len, "\"method\"", 8) != NULL);
    char hdr[128];
    int hn = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      line_len);
    if (write_all(c, hdr, (size_t)hn) || write_all(c, line, line_len)) goto done;
  }
done:
  close(srv_in);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  unlink(argv[1]);
  return 0;
}
