/*
 * bench/ws_client.c: a small WebSocket load generator for benchmarks
 * (single thread, epoll, non-blocking sockets, no TLS).
 *
 * Build: gcc -O2 -o ws_client bench/ws_client.c
 *
 * Usage:
 *   ws_client echo <port> <conns> <seconds> [size]
 *     Opens <conns> WebSocket connections to ws://127.0.0.1:<port>/ws (at
 *     most 128 handshakes at a time), then for <seconds> every connection
 *     sends one masked text frame of <size> bytes (default 32), waits for the
 *     echo (checked byte for byte), records the round trip and sends the next.
 *     Prints one JSON object (see print_echo_result) and exits 0, or 1 when
 *     not a single connection opened.
 *   ws_client idle <port> <conns> [size]
 *     Opens <conns> connections, exchanges one message of <size> bytes on
 *     each, prints one JSON line {"mode":"idle",...} and then holds the
 *     connections idle until stdin is closed (or SIGTERM/SIGINT); prints a
 *     second line {"mode":"idle-end",...} with how many the server closed.
 *
 * Round trips go into a histogram with 1 µs buckets below 10 ms and 100 µs
 * buckets up to 10 s. "stalled" counts connections whose last message had
 * waited more than 1 s for its echo when the run ended.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PENDING 128
#define HIST_FINE 10000             /* 1 µs buckets below 10 ms */
#define HIST_COARSE 100000          /* then 100 µs buckets up to 10 s */
#define HIST_SIZE (HIST_FINE + HIST_COARSE + 1)
#define STDIN_TAG 0xffffffffu

enum state { S_NEW, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_IDLE, S_DEAD };

struct conn {
  int fd;
  enum state st;
  int waiting;          /* a message is out, its echo not complete */
  uint64_t sent_ns;     /* when the outstanding message was sent */
  size_t got;           /* payload bytes of the echo received so far */
  size_t rlen;          /* bytes in rbuf */
  unsigned long long count;
  char *rbuf;
};

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static struct conn *conns;
static int nconns, port, epfd;
static size_t msg_size = 32, rbuf_cap;
static char *payload, *frame;
static size_t frame_len, mask_at;
static uint64_t hist[HIST_SIZE];
static unsigned long long messages = 0, err_connect = 0, err_read = 0,
                          err_write = 0;
static int pending = 0, next_new = 0, resolved = 0, open_now = 0;
static uint32_t rng = 0x9e3779b9u;

static const char KEY_ACCEPT[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(uint64_t ns) {
  uint64_t us = ns / 1000;
  size_t i = us < HIST_FINE ? (size_t)us
                            : HIST_FINE + (size_t)((us - HIST_FINE) / 100);
  if (i >= HIST_SIZE) i = HIST_SIZE - 1;
  hist[i]++;
}

/* The p-quantile (0..1) of the histogram in ms (NaN-free: 0 when empty). */
static double quantile_ms(double p, unsigned long long total) {
  if (total == 0) return 0;
  unsigned long long rank = (unsigned long long)(p * (double)total);
  if (rank < 1) rank = 1;
  unsigned long long seen = 0;
  for (size_t i = 0; i < HIST_SIZE; i++) {
    seen += hist[i];
    if (seen >= rank) {
      double us = i < HIST_FINE ? (double)i + 0.5
                                : HIST_FINE + (double)(i - HIST_FINE) * 100 + 50;
      return us / 1000;
    }
  }
  return 0;
}

static double max_ms(void) {
  for (size_t i = HIST_SIZE; i-- > 0;) {
    if (hist[i]) {
      double us = i < HIST_FINE ? (double)i + 1
                                : HIST_FINE + (double)(i - HIST_FINE + 1) * 100;
      return us / 1000;
    }
  }
  return 0;
}

static void kill_conn(struct conn *c, unsigned long long *counter) {
  if (counter) (*counter)++;
  if (c->st == S_CONNECTING || c->st == S_HANDSHAKE) {
    pending--;
    resolved++;
  } else if (c->st == S_OPEN || c->st == S_IDLE) {
    open_now--;
  }
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->st = S_DEAD;
  c->waiting = 0;
}

static void start_connect(struct conn *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  c->fd = fd;
  c->st = S_CONNECTING;
  pending++;
  if (fd < 0) {
    kill_conn(c, &err_connect);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
    kill_conn(c, &err_connect);
    return;
  }
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) kill_conn(c, &err_connect);
}

static void fill_pending(void) {
  while (pending < MAX_PENDING && next_new < nconns) {
    start_connect(&conns[next_new++]);
  }
}

static void send_upgrade(struct conn *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
    kill_conn(c, &err_connect);
    return;
  }
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   port);
  if (write(c->fd, req, (size_t)n) != n) {
    kill_conn(c, &err_connect);
    return;
  }
  c->st = S_HANDSHAKE;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) kill_conn(c, &err_connect);
}

/* Sends one masked text frame with the payload; 0 on success. */
static int send_message(struct conn *c) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  unsigned char m[4] = {(unsigned char)rng, (unsigned char)(rng >> 8),
                        (unsigned char)(rng >> 16), (unsigned char)(rng >> 24)};
  memcpy(frame + mask_at, m, 4);
  char *p = frame + mask_at + 4;
  for (size_t i = 0; i < msg_size; i++) p[i] = (char)(payload[i] ^ m[i & 3]);
  c->sent_ns = now_ns();
  ssize_t w = write(c->fd, frame, frame_len);
  if (w != (ssize_t)frame_len) { /* small frames: a short write is an error */
    kill_conn(c, &err_write);
    return -1;
  }
  c->waiting = 1;
  c->got = 0;
  return 0;
}

/*
 * Consumes complete frames from c->rbuf. Returns the number of messages
 * completed (at most 1 in practice), or -1 after killing the connection.
 */
static int parse_frames(struct conn *c) {
  int done = 0;
  size_t off = 0;
  while (c->rlen - off >= 2) {
    unsigned char *b = (unsigned char *)c->rbuf + off;
    size_t avail = c->rlen - off, hdr = 2;
    uint64_t plen = b[1] & 0x7f;
    if (b[1] & 0x80) { /* a server must not mask */
      kill_conn(c, &err_read);
      return -1;
    }
    if (plen == 126) {
      if (avail < 4) break;
      plen = ((uint64_t)b[2] << 8) | b[3];
      hdr = 4;
    } else if (plen == 127) {
      if (avail < 10) break;
      plen = 0;
      for (int i = 0; i < 8; i++) plen = (plen << 8) | b[2 + i];
      hdr = 10;
    }
    if (hdr + plen > rbuf_cap) {
      kill_conn(c, &err_read);
      return -1;
    }
    if (avail < hdr + plen) break;
    int opcode = b[0] & 0x0f, fin = b[0] & 0x80;
    const char *data = (const char *)b + hdr;
    if (opcode <= 2) {
      if (!c->waiting || c->got + plen > msg_size ||
          memcmp(data, payload + c->got, (size_t)plen) != 0) {
        kill_conn(c, &err_read);
        return -1;
      }
      c->got += (size_t)plen;
      if (fin) {
        if (c->got != msg_size) {
          kill_conn(c, &err_read);
          return -1;
        }
        c->waiting = 0;
        done++;
      }
    } else if (opcode == 8) { /* close from the server */
      kill_conn(c, &err_read);
      return -1;
    } /* ping/pong: ignored */
    off += hdr + (size_t)plen;
  }
  if (off > 0) {
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
  }
  return done;
}

/* Reads the 101 response; 1 when the connection is open. */
static int read_handshake(struct conn *c) {
  ssize_t n = read(c->fd, c->rbuf + c->rlen, rbuf_cap - c->rlen);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return 0;
    kill_conn(c, &err_connect);
    return 0;
  }
  c->rlen += (size_t)n;
  char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
  if (end == NULL) {
    if (c->rlen == rbuf_cap) kill_conn(c, &err_connect);
    return 0;
  }
  size_t head = (size_t)(end + 4 - c->rbuf);
  if (c->rlen < 13 || memcmp(c->rbuf, "HTTP/1.1 101 ", 13) != 0 ||
      memmem(c->rbuf, head, KEY_ACCEPT, sizeof KEY_ACCEPT - 1) == NULL) {
    kill_conn(c, &err_connect);
    return 0;
  }
  memmove(c->rbuf, c->rbuf + head, c->rlen - head);
  c->rlen -= head;
  c->st = S_OPEN;
  pending--;
  resolved++;
  open_now++;
  return 1;
}

/* Reads and parses echoes; returns messages completed or -1. */
static int read_echo(struct conn *c) {
  ssize_t n = read(c->fd, c->rbuf + c->rlen, rbuf_cap - c->rlen);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return 0;
    kill_conn(c, &err_read);
    return -1;
  }
  c->rlen += (size_t)n;
  return parse_frames(c);
}

/* Runs the connect phase until every connection opened or failed. */
static void connect_all(struct epoll_event *evs, int max_ev) {
  fill_pending();
  while (resolved < nconns && !stop_flag) {
    int n = epoll_wait(epfd, evs, max_ev, 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      exit(2);
    }
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u32 == STDIN_TAG) continue;
      struct conn *c = &conns[evs[i].data.u32];
      if (c->st == S_CONNECTING) send_upgrade(c);
      else if (c->st == S_HANDSHAKE) read_handshake(c);
    }
    fill_pending();
  }
}

static void print_errors(void) {
  printf("\"errors\":{\"connect\":%llu,\"read\":%llu,\"write\":%llu}",
         err_connect, err_read, err_write);
}

static int run_echo(double seconds) {
  struct epoll_event evs[256];
  uint64_t t0 = now_ns();
  connect_all(evs, 256);
  double connect_s = (double)(now_ns() - t0) / 1e9;
  int opened = open_now;
  uint64_t start = now_ns();
  uint64_t end = start + (uint64_t)(seconds * 1e9);
  for (int i = 0; i < nconns; i++) {
    if (conns[i].st == S_OPEN) send_message(&conns[i]);
  }
  uint64_t now = start;
  while (!stop_flag && (now = now_ns()) < end) {
    int timeout = (int)((end - now) / 1000000) + 1;
    int n = epoll_wait(epfd, evs, 256, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 2;
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = &conns[evs[i].data.u32];
      if (c->st != S_OPEN) continue;
      int done = read_echo(c);
      if (done <= 0) continue;
      uint64_t t = now_ns();
      if (t > end) continue; /* completed after the window: not counted */
      record(t - c->sent_ns);
      messages++;
      c->count++;
      if (c->rlen > 0) { /* bytes beyond the echo: not ours */
        kill_conn(c, &err_read);
        continue;
      }
      send_message(c);
    }
  }
  uint64_t stop = now_ns();
  double secs = (double)(stop - start) / 1e9;
  int stalled = 0;
  unsigned long long cmin = ~0ull, cmax = 0;
  for (int i = 0; i < nconns; i++) {
    struct conn *c = &conns[i];
    if (c->st == S_OPEN && c->waiting && stop - c->sent_ns > 1000000000u) {
      stalled++;
    }
    if (c->st == S_OPEN || c->count > 0) {
      if (c->count < cmin) cmin = c->count;
      if (c->count > cmax) cmax = c->count;
    }
  }
  if (cmin == ~0ull) cmin = 0;
  printf("{\"mode\":\"echo\",\"connections\":%d,\"opened\":%d,\"open_at_end\":%d,"
         "\"size\":%zu,\"connect_s\":%.3f,\"seconds\":%.3f,\"messages\":%llu,"
         "\"messages_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
         "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"per_conn_min\":%llu,"
         "\"per_conn_max\":%llu,\"stalled\":%d,",
         nconns, opened, open_now, msg_size, connect_s, secs, messages,
         (double)messages / secs, quantile_ms(0.5, messages),
         quantile_ms(0.9, messages), quantile_ms(0.99, messages), max_ms(),
         cmin, cmax, stalled);
  print_errors();
  printf("}\n");
  fflush(stdout);
  return opened > 0 ? 0 : 1;
}

static int run_idle(void) {
  struct epoll_event evs[256];
  uint64_t t0 = now_ns();
  connect_all(evs, 256);
  /* One message on each connection, so that every session is in use. */
  int out = 0;
  for (int i = 0; i < nconns; i++) {
    if (conns[i].st == S_OPEN && send_message(&conns[i]) == 0) out++;
  }
  uint64_t deadline = now_ns() + 10000000000u;
  while (out > 0 && !stop_flag && now_ns() < deadline) {
    int n = epoll_wait(epfd, evs, 256, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 2;
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = &conns[evs[i].data.u32];
      if (c->st != S_OPEN) continue;
      int was = c->waiting;
      int done = read_echo(c);
      if (done > 0 || (done < 0 && was)) out--;
      if (done > 0) {
        record(now_ns() - c->sent_ns);
        messages++;
        c->st = S_IDLE;
      }
    }
  }
  int idle = 0;
  for (int i = 0; i < nconns; i++) idle += conns[i].st == S_IDLE;
  printf("{\"mode\":\"idle\",\"connections\":%d,\"open\":%d,\"echoed\":%d,"
         "\"seconds\":%.3f,\"p99_ms\":%.3f,",
         nconns, open_now, idle, (double)(now_ns() - t0) / 1e9,
         quantile_ms(0.99, messages));
  print_errors();
  printf("}\n");
  fflush(stdout);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = STDIN_TAG};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);
  int closed = 0;
  while (!stop_flag) {
    int n = epoll_wait(epfd, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int quit = 0;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u32 == STDIN_TAG) {
        char b[64];
        if (read(0, b, sizeof b) <= 0) quit = 1;
        continue;
      }
      struct conn *c = &conns[evs[i].data.u32];
      char b[256];
      ssize_t r = read(c->fd, b, sizeof b);
      if (r == 0 || (r < 0 && errno != EAGAIN)) {
        kill_conn(c, NULL);
        closed++;
      }
    }
    if (quit) break;
  }
  printf("{\"mode\":\"idle-end\",\"open\":%d,\"closed_by_server\":%d}\n",
         open_now, closed);
  fflush(stdout);
  return 0;
}

static long arg_num(const char *s, long min, long max, const char *what) {
  char *e;
  long v = strtol(s, &e, 10);
  if (*s == 0 || *e != 0 || v < min || v > max) {
    fprintf(stderr, "ws_client: bad %s: %s\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  int echo = argc >= 5 && strcmp(argv[1], "echo") == 0;
  int idle = argc >= 4 && strcmp(argv[1], "idle") == 0;
  if (!echo && !idle) {
    fprintf(stderr, "usage: ws_client echo <port> <conns> <seconds> [size]\n"
                    "       ws_client idle <port> <conns> [size]\n");
    return 2;
  }
  port = (int)arg_num(argv[2], 1, 65535, "port");
  nconns = (int)arg_num(argv[3], 1, 1000000, "conns");
  double seconds = echo ? (double)arg_num(argv[4], 1, 86400, "seconds") : 0;
  int size_arg = echo ? 5 : 4;
  if (argc > size_arg) msg_size = (size_t)arg_num(argv[size_arg], 1, 60000, "size");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  payload = malloc(msg_size);
  for (size_t i = 0; i < msg_size; i++) payload[i] = (char)('a' + i % 26);
  frame = malloc(msg_size + 14);
  frame[0] = (char)0x81; /* FIN, text */
  if (msg_size < 126) {
    frame[1] = (char)(0x80 | msg_size);
    mask_at = 2;
  } else {
    frame[1] = (char)(0x80 | 126);
    frame[2] = (char)(msg_size >> 8);
    frame[3] = (char)msg_size;
    mask_at = 4;
  }
  frame_len = mask_at + 4 + msg_size;
  rbuf_cap = msg_size + 4096;

  conns = calloc((size_t)nconns, sizeof *conns);
  char *bufs = malloc((size_t)nconns * rbuf_cap);
  if (conns == NULL || bufs == NULL || payload == NULL || frame == NULL) {
    fprintf(stderr, "ws_client: out of memory\n");
    return 2;
  }
  for (int i = 0; i < nconns; i++) {
    conns[i].fd = -1;
    conns[i].st = S_NEW;
    conns[i].rbuf = bufs + (size_t)i * rbuf_cap;
  }
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    perror("epoll_create1");
    return 2;
  }
  return echo ? run_echo(seconds) : run_idle();
}
