/*
 * bench/handler.c: a minimal, fast ZHTTP handler for benchmarks.
 *
 * Build: gcc -O2 -o handler bench/handler.c -lzmq
 *
 * Usage:
 *   handler stream <base>      PULL <base>-out, PUB <base>-in,
 *                              DEALER (identity "bench") <base>-out-stream
 *   handler req <spec>         ROUTER connected to <spec>
 *   handler loadgen <base> <n> self-test: binds the manager side of <base>
 *                              (PUSH -out, ROUTER -out-stream, SUB -in),
 *                              pushes <n> request packets (window 1024) to a
 *                              stream-mode handler and prints the rate.
 *
 * Every HTTP request gets the same response:
 *   T{from:bench,id:<id>,code:200,reason:OK,
 *     headers:[[Content-Type,text/plain]],body:"hello world\n"}
 * In stream mode it is published as "<from of the request> T...".
 *
 * WebSocket echo (stream mode; a request whose uri starts with "ws"):
 *   accept   T{from:bench,id,code:101,reason:Switching Protocols,credits:65536}
 *   then every data packet arriving on the DEALER (identity "bench" = our
 *   "from") is echoed with the same content-type, body and more, plus
 *   credits:<body length> so the client->handler flow never stalls;
 *   close -> close (same code), ping -> pong (same body); cancel, credit and
 *   keep-alive are counted. No seq is sent (accepted by the manager, §5.7).
 *   The handler keeps no per-session state: it does not count the manager's
 *   handler->client credits (8192 at start), which is safe for clients that
 *   wait for each echo before sending the next message (bench/ws_client.c),
 *   and it sends no keep-alives (sessions idle for more than 60 s expire).
 *
 * On SIGTERM/SIGINT it prints "handler: <n> requests, <m> other packets,
 * <w> ws messages" to stderr and exits 0 (other = later packets such as the
 * cancels Condure sends for requests in flight when wrk closes its
 * connections, or unparsable ones; ws messages = echoed WebSocket messages,
 * counted at their final packet).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define BUF_MAX 65536
#define FIELD_MAX 256
#define BATCH_MAX 256
#define ENVELOPE_MAX 8

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void die(const char *what) {
  fprintf(stderr, "handler: %s: %s\n", what, zmq_strerror(zmq_errno()));
  exit(1);
}

/* Parses "<digits>:" at p (end e); returns data start, sets *len, or NULL. */
static const char *tn_head(const char *p, const char *e, size_t *len) {
  size_t n = 0;
  const char *q = p;
  while (q < e && *q >= '0' && *q <= '9') {
    n = n * 10 + (size_t)(*q - '0');
    if (n > BUF_MAX) return NULL;
    q++;
  }
  if (q == p || q >= e || *q != ':') return NULL;
  q++;
  if ((size_t)(e - q) < n + 1) return NULL;
  *len = n;
  return q;
}

/* A raw tnetstring value: data, length, type byte (0 when absent). */
struct field {
  const char *p;
  size_t n;
  char t;
};

/* The top-level fields of a packet that the handler looks at. */
struct packet {
  struct field id, from, uri, type, ctype, body, more, code;
};

/*
 * Scans the top-level map of a "T<tnetstring map>" payload and records the
 * fields of struct packet (other keys are skipped by length). Returns 0 on
 * success, -1 when the payload is not a well-formed map.
 */
static int scan_packet(const char *buf, size_t size, struct packet *pk) {
  memset(pk, 0, sizeof *pk);
  if (size < 1 || buf[0] != 'T') return -1;
  const char *e = buf + size;
  size_t mlen;
  const char *p = tn_head(buf + 1, e, &mlen);
  if (p == NULL || p[mlen] != '}') return -1;
  const char *me = p + mlen;
  while (p < me) {
    size_t klen, vlen;
    const char *k = tn_head(p, me, &klen);
    if (k == NULL || k[klen] != ',') return -1;
    const char *v = tn_head(k + klen + 1, me, &vlen);
    if (v == NULL) return -1;
    struct field *f = NULL;
    switch (klen) {
      case 2:
        if (memcmp(k, "id", 2) == 0) f = &pk->id;
        break;
      case 3:
        if (memcmp(k, "uri", 3) == 0) f = &pk->uri;
        break;
      case 4:
        if (memcmp(k, "from", 4) == 0) f = &pk->from;
        else if (memcmp(k, "type", 4) == 0) f = &pk->type;
        else if (memcmp(k, "body", 4) == 0) f = &pk->body;
        else if (memcmp(k, "more", 4) == 0) f = &pk->more;
        else if (memcmp(k, "code", 4) == 0) f = &pk->code;
        break;
      case 12:
        if (memcmp(k, "content-type", 12) == 0) f = &pk->ctype;
        break;
    }
    if (f != NULL) {
      f->p = v;
      f->n = vlen;
      f->t = v[vlen];
    }
    p = v + vlen + 1;
  }
  return 0;
}

/* Whether field f is the string s. */
static int field_is(const struct field *f, const char *s) {
  size_t n = strlen(s);
  return f->t == ',' && f->n == n && memcmp(f->p, s, n) == 0;
}

/*
 * Finds the string values of "id" and "from" in the top-level map of a
 * "T<tnetstring map>" payload. Returns 0 when id was found.
 */
static int parse_packet(const char *buf, size_t size, const char **id,
                        size_t *id_len, const char **from, size_t *from_len) {
  struct packet pk;
  *id = NULL;
  *from = NULL;
  *id_len = 0;
  *from_len = 0;
  if (scan_packet(buf, size, &pk) != 0 || pk.id.t != ',') return -1;
  *id = pk.id.p;
  *id_len = pk.id.n;
  if (pk.from.t == ',') {
    *from = pk.from.p;
    *from_len = pk.from.n;
  }
  return *id_len <= FIELD_MAX && *from_len <= FIELD_MAX ? 0 : -1;
}

static char *put(char *o, const char *s, size_t n) {
  memcpy(o, s, n);
  return o + n;
}

static char *put_len(char *o, size_t n) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0);
  while (i > 0) *o++ = tmp[--i];
  return o;
}

/* The constant tail of the response map (after the id), built at startup. */
static char tail[256];
static size_t tail_len;
#define HEAD "4:from,5:bench,2:id,"
#define HEAD_LEN (sizeof(HEAD) - 1)

static char *put_str(char *o, const char *s) {
  size_t n = strlen(s);
  o = put_len(o, n);
  *o++ = ':';
  o = put(o, s, n);
  *o++ = ',';
  return o;
}

static void build_tail(void) {
  char hv[64], hl[96];
  char *o = hv;
  o = put_str(o, "Content-Type");
  o = put_str(o, "text/plain");
  size_t hv_len = (size_t)(o - hv); /* inner list data */
  o = hl;
  o = put_len(o, hv_len);
  *o++ = ':';
  o = put(o, hv, hv_len);
  *o++ = ']';
  size_t hl_len = (size_t)(o - hl); /* outer list data */
  o = tail;
  o = put_str(o, "code");
  o = put(o, "3:200#", 6);
  o = put_str(o, "reason");
  o = put_str(o, "OK");
  o = put_str(o, "headers");
  o = put_len(o, hl_len);
  *o++ = ':';
  o = put(o, hl, hl_len);
  *o++ = ']';
  o = put_str(o, "body");
  o = put_str(o, "hello world\n");
  tail_len = (size_t)(o - tail);
}

/* Writes "[<addr> ]T<map>" into out; returns its length. */
static size_t build_response(char *out, const char *addr, size_t addr_len,
                             const char *id, size_t id_len) {
  char *o = out;
  if (addr != NULL) {
    o = put(o, addr, addr_len);
    *o++ = ' ';
  }
  *o++ = 'T';
  char idtn[FIELD_MAX + 24];
  char *q = put_len(idtn, id_len);
  *q++ = ':';
  q = put(q, id, id_len);
  *q++ = ',';
  size_t idtn_len = (size_t)(q - idtn);
  o = put_len(o, HEAD_LEN + idtn_len + tail_len);
  *o++ = ':';
  o = put(o, HEAD, HEAD_LEN);
  o = put(o, idtn, idtn_len);
  o = put(o, tail, tail_len);
  *o++ = '}';
  return (size_t)(o - out);
}

/* Appends <len>:<data><type>. */
static char *put_tn(char *o, const char *data, size_t n, char type) {
  o = put_len(o, n);
  *o++ = ':';
  o = put(o, data, n);
  *o++ = type;
  return o;
}

/* Appends a raw field as it was received (same data and type byte). */
static char *put_field(char *o, const struct field *f) {
  return put_tn(o, f->p, f->n, f->t);
}

/*
 * Writes "<from of pk> T{from:bench,id:<id of pk>,<fields>}" into out, where
 * fields (flen bytes) are tnetstring key/value pairs; returns the length.
 */
static size_t build_reply(char *out, const struct packet *pk,
                          const char *fields, size_t flen) {
  char *o = put(out, pk->from.p, pk->from.n);
  *o++ = ' ';
  *o++ = 'T';
  char idtn[FIELD_MAX + 24];
  char *q = put_field(idtn, &pk->id);
  size_t idtn_len = (size_t)(q - idtn);
  o = put_len(o, HEAD_LEN + idtn_len + flen);
  *o++ = ':';
  o = put(o, HEAD, HEAD_LEN);
  o = put(o, idtn, idtn_len);
  o = put(o, fields, flen);
  *o++ = '}';
  return (size_t)(o - out);
}

#define WS_CREDITS "65536"

/* The accept of a WebSocket request: code 101 and credits. */
static size_t build_ws_accept(char *out, const struct packet *pk) {
  static const char fields[] =
      "4:code,3:101#6:reason,19:Switching Protocols,7:credits," "5:" WS_CREDITS
      "#";
  return build_reply(out, pk, fields, sizeof fields - 1);
}

/*
 * The reply to a WebSocket packet: the echo of a data packet (content-type,
 * body, more, and credits for the body it consumed), close for close (same
 * code), pong for ping (same body). Returns 0 for packets not answered.
 */
static size_t build_ws_reply(char *out, const struct packet *pk) {
  static char fields[BUF_MAX + 256];
  char *o = fields;
  if (pk->type.t == 0 || field_is(&pk->type, "")) {
    if (pk->ctype.t == ',') {
      o = put_str(o, "content-type");
      o = put_field(o, &pk->ctype);
    }
    if (pk->body.t == ',' && pk->body.n > 0) {
      o = put_str(o, "body");
      o = put_field(o, &pk->body);
    }
    if (pk->more.t == '!') {
      o = put_str(o, "more");
      o = put_field(o, &pk->more);
    }
    if (pk->body.t == ',' && pk->body.n > 0) {
      char num[24];
      size_t n = (size_t)(put_len(num, pk->body.n) - num);
      o = put_str(o, "credits");
      o = put_tn(o, num, n, '#');
    }
  } else if (field_is(&pk->type, "close")) {
    o = put_str(o, "type");
    o = put_str(o, "close");
    if (pk->code.t == '#') {
      o = put_str(o, "code");
      o = put_field(o, &pk->code);
    }
  } else if (field_is(&pk->type, "ping")) {
    o = put_str(o, "type");
    o = put_str(o, "pong");
    if (pk->body.t == ',' && pk->body.n > 0) {
      o = put_str(o, "body");
      o = put_field(o, &pk->body);
    }
  } else {
    return 0;
  }
  return build_reply(out, pk, fields, (size_t)(o - fields));
}

static void set_int(void *s, int opt, int v) {
  if (zmq_setsockopt(s, opt, &v, sizeof v) != 0) die("setsockopt");
}

static void *make_socket(void *ctx, int type) {
  void *s = zmq_socket(ctx, type);
  if (s == NULL) die("zmq_socket");
  set_int(s, ZMQ_LINGER, 0);
  set_int(s, ZMQ_SNDHWM, 0);
  set_int(s, ZMQ_RCVHWM, 0);
  return s;
}

static void endpoint(char *out, size_t cap, const char *base, const char *sfx) {
  if ((size_t)snprintf(out, cap, "%s%s", base, sfx) >= cap) {
    fprintf(stderr, "handler: endpoint too long\n");
    exit(2);
  }
}

static unsigned long long handled = 0, other = 0, ws_sessions = 0,
                          ws_messages = 0;

static int run_stream(void *ctx, const char *base) {
  char ep[1024];
  void *pull = make_socket(ctx, ZMQ_PULL);
  void *pub = make_socket(ctx, ZMQ_PUB);
  void *dealer = make_socket(ctx, ZMQ_DEALER);
  if (zmq_setsockopt(dealer, ZMQ_IDENTITY, "bench", 5) != 0) die("identity");
  endpoint(ep, sizeof ep, base, "-out");
  if (zmq_connect(pull, ep) != 0) die("connect -out");
  endpoint(ep, sizeof ep, base, "-in");
  if (zmq_connect(pub, ep) != 0) die("connect -in");
  endpoint(ep, sizeof ep, base, "-out-stream");
  if (zmq_connect(dealer, ep) != 0) die("connect -out-stream");

  static char in[BUF_MAX], out[BUF_MAX + 1024];
  zmq_pollitem_t items[2] = {{pull, 0, ZMQ_POLLIN, 0},
                             {dealer, 0, ZMQ_POLLIN, 0}};
  while (!stop_flag) {
    if (zmq_poll(items, 2, -1) < 0) {
      if (zmq_errno() == EINTR) continue;
      die("zmq_poll");
    }
    for (int i = 0; i < BATCH_MAX; i++) {
      int n = zmq_recv(pull, in, sizeof in, ZMQ_DONTWAIT);
      if (n < 0) {
        if (zmq_errno() == EAGAIN || zmq_errno() == EINTR) break;
        die("recv -out");
      }
      struct packet pk;
      if ((size_t)n > sizeof in || scan_packet(in, (size_t)n, &pk) != 0 ||
          pk.id.t != ',' || pk.id.n > FIELD_MAX || pk.from.t != ',' ||
          pk.from.n > FIELD_MAX) {
        other++;
        continue;
      }
      size_t len;
      if (pk.uri.t == ',' && pk.uri.n >= 2 && memcmp(pk.uri.p, "ws", 2) == 0) {
        len = build_ws_accept(out, &pk);
        ws_sessions++;
      } else {
        len = build_response(out, pk.from.p, pk.from.n, pk.id.p, pk.id.n);
        handled++;
      }
      while (zmq_send(pub, out, len, 0) < 0) {
        if (zmq_errno() != EINTR) die("send -in");
      }
    }
    /*
     * Later packets: [empty delimiter, payload]. WebSocket data, close and
     * ping are answered; credits, keep-alives and cancels are counted.
     */
    for (int i = 0; i < BATCH_MAX; i++) {
      int n = zmq_recv(dealer, in, sizeof in, ZMQ_DONTWAIT);
      if (n < 0) break;
      int more = 0;
      size_t ms = sizeof more;
      zmq_getsockopt(dealer, ZMQ_RCVMORE, &more, &ms);
      if (more) continue; /* the delimiter */
      struct packet pk;
      size_t len = 0;
      if ((size_t)n <= sizeof in && scan_packet(in, (size_t)n, &pk) == 0 &&
          pk.id.t == ',' && pk.id.n <= FIELD_MAX && pk.from.t == ',' &&
          pk.from.n <= FIELD_MAX) {
        len = build_ws_reply(out, &pk);
      }
      if (len == 0) {
        other++;
        continue;
      }
      while (zmq_send(pub, out, len, 0) < 0) {
        if (zmq_errno() != EINTR) die("send -in");
      }
      if ((pk.type.t == 0 || field_is(&pk.type, "")) &&
          !(pk.more.t == '!' && pk.more.n == 4 &&
            memcmp(pk.more.p, "true", 4) == 0))
        ws_messages++;
    }
  }
  zmq_close(pull);
  zmq_close(pub);
  zmq_close(dealer);
  return 0;
}

static int run_req(void *ctx, const char *spec) {
  void *router = make_socket(ctx, ZMQ_ROUTER);
  if (zmq_connect(router, spec) != 0) die("connect req");
  static char env[ENVELOPE_MAX][FIELD_MAX];
  static size_t env_len[ENVELOPE_MAX];
  static char in[BUF_MAX], out[BUF_MAX];
  zmq_pollitem_t items[1] = {{router, 0, ZMQ_POLLIN, 0}};
  while (!stop_flag) {
    if (zmq_poll(items, 1, -1) < 0) {
      if (zmq_errno() == EINTR) continue;
      die("zmq_poll");
    }
    for (int i = 0; i < BATCH_MAX; i++) {
      /* Envelope frames up to the empty delimiter, then the payload. */
      int nenv = 0, ok = 1, more = 1, n = -1;
      size_t ms = sizeof more;
      for (;;) {
        n = zmq_recv(router, in, sizeof in, nenv == 0 ? ZMQ_DONTWAIT : 0);
        if (n < 0) break;
        zmq_getsockopt(router, ZMQ_RCVMORE, &more, &ms);
        if (n == 0 || !more) break;
        if (nenv < ENVELOPE_MAX && n <= FIELD_MAX) {
          memcpy(env[nenv], in, (size_t)n);
          env_len[nenv++] = (size_t)n;
        } else {
          ok = 0;
        }
      }
      if (n < 0) {
        if (zmq_errno() == EAGAIN || zmq_errno() == EINTR) break;
        die("recv req");
      }
      if (n == 0 && more) {
        n = zmq_recv(router, in, sizeof in, 0);
        if (n < 0) die("recv req payload");
        zmq_getsockopt(router, ZMQ_RCVMORE, &more, &ms);
        while (more) { /* drop extra frames */
          char junk[16];
          zmq_recv(router, junk, sizeof junk, 0);
          zmq_getsockopt(router, ZMQ_RCVMORE, &more, &ms);
        }
      } else {
        ok = 0;
      }
      const char *id, *from;
      size_t id_len, from_len;
      if (!ok || nenv == 0 || (size_t)n > sizeof in ||
          parse_packet(in, (size_t)n, &id, &id_len, &from, &from_len) != 0) {
        other++;
        continue;
      }
      size_t len = build_response(out, NULL, 0, id, id_len);
      for (int j = 0; j < nenv; j++) {
        if (zmq_send(router, env[j], env_len[j], ZMQ_SNDMORE) < 0)
          die("send req");
      }
      if (zmq_send(router, "", 0, ZMQ_SNDMORE) < 0 ||
          zmq_send(router, out, len, 0) < 0)
        die("send req");
      handled++;
    }
  }
  zmq_close(router);
  return 0;
}

/* Request fields after "id" (NUL-terminated), as Condure emits them. */
static void build_loadgen_fields(char *mid) {
  char h1[64], h2[64], hs[160], ext[32];
  char *o = put_str(h1, "Host");
  o = put_str(o, "127.0.0.1:8000");
  size_t h1_len = (size_t)(o - h1);
  o = put_str(h2, "User-Agent");
  o = put_str(o, "wrk/4.1.0");
  size_t h2_len = (size_t)(o - h2);
  o = put_tn(hs, h1, h1_len, ']');
  o = put_tn(o, h2, h2_len, ']');
  size_t hs_len = (size_t)(o - hs);
  o = put_str(ext, "multi");
  o = put(o, "4:true!", 7);
  size_t ext_len = (size_t)(o - ext);
  o = mid;
  o = put_str(o, "seq");
  o = put(o, "1:0#", 4);
  o = put_str(o, "ext");
  o = put_tn(o, ext, ext_len, '}');
  o = put_str(o, "method");
  o = put_str(o, "GET");
  o = put_str(o, "uri");
  o = put_str(o, "http://127.0.0.1:8000/");
  o = put_str(o, "headers");
  o = put_tn(o, hs, hs_len, ']');
  o = put_str(o, "credits");
  o = put(o, "4:8192#", 7);
  o = put_str(o, "stream");
  o = put(o, "4:true!", 7);
  *o = 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char RESPONSE_BODY_TN[] = "4:body,12:hello world\n,";

static int run_loadgen(void *ctx, const char *base, long total) {
  char ep[1024];
  void *push = make_socket(ctx, ZMQ_PUSH);
  void *router = make_socket(ctx, ZMQ_ROUTER);
  void *sub = make_socket(ctx, ZMQ_SUB);
  if (zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0) != 0) die("subscribe");
  endpoint(ep, sizeof ep, base, "-out");
  if (zmq_bind(push, ep) != 0) die("bind -out");
  endpoint(ep, sizeof ep, base, "-out-stream");
  if (zmq_bind(router, ep) != 0) die("bind -out-stream");
  endpoint(ep, sizeof ep, base, "-in");
  if (zmq_bind(sub, ep) != 0) die("bind -in");

  /* Wait until the handler answers a probe (its PUB has subscribed). */
  static char req[1024], in[BUF_MAX];
  static char mid[512];
  build_loadgen_fields(mid);
  char body[768];
  const long window = 1024;
  long sent = 0, received = 0, bad = 0;
  double deadline = now_s() + 10;
  zmq_pollitem_t items[1] = {{sub, 0, ZMQ_POLLIN, 0}};
  for (;;) {
    int blen = snprintf(body, sizeof body, "4:from,7:loadgen,2:id,5:probe,%s", mid);
    int rlen = snprintf(req, sizeof req, "T%d:%s}", blen, body);
    zmq_send(push, req, (size_t)rlen, ZMQ_DONTWAIT);
    if (zmq_poll(items, 1, 100) > 0) {
      int n = zmq_recv(sub, in, sizeof in, 0);
      if (n > 0 && (size_t)n <= sizeof in &&
          memmem(in, (size_t)n, "5:probe,", 8) != NULL) {
        while (zmq_recv(sub, in, sizeof in, ZMQ_DONTWAIT) >= 0) {
        }
        break;
      }
    }
    if (now_s() > deadline || stop_flag) {
      fprintf(stderr, "loadgen: handler did not answer\n");
      return 1;
    }
  }

  double t0 = now_s();
  while (received < total && !stop_flag) {
    while (sent < total && sent - received < window) {
      int blen = snprintf(body, sizeof body, "4:from,7:loadgen,2:id,%d:0-%ld-%lx,%s",
                          snprintf(NULL, 0, "0-%ld-%lx", sent % 20000, sent),
                          sent % 20000, sent, mid);
      int rlen = snprintf(req, sizeof req, "T%d:%s}", blen, body);
      if (zmq_send(push, req, (size_t)rlen, 0) < 0) die("send -out");
      sent++;
    }
    int n = zmq_recv(sub, in, sizeof in, 0);
    if (n < 0) {
      if (zmq_errno() == EINTR) continue;
      die("recv -in");
    }
    if ((size_t)n > sizeof in || n < 9 || memcmp(in, "loadgen T", 9) != 0 ||
        memmem(in, (size_t)n, RESPONSE_BODY_TN, sizeof RESPONSE_BODY_TN - 1) == NULL)
      bad++;
    received++;
  }
  double dt = now_s() - t0;
  printf("loadgen: %ld responses in %.3f s = %.0f req/s, %ld malformed\n",
         received, dt, (double)received / dt, bad);
  zmq_close(push);
  zmq_close(router);
  zmq_close(sub);
  return bad == 0 && received == total ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: handler stream <base> | req <spec> | loadgen <base> <n>\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  build_tail();
  void *ctx = zmq_ctx_new();
  if (ctx == NULL) die("zmq_ctx_new");
  int rc;
  if (strcmp(argv[1], "stream") == 0) {
    rc = run_stream(ctx, argv[2]);
  } else if (strcmp(argv[1], "req") == 0) {
    rc = run_req(ctx, argv[2]);
  } else if (strcmp(argv[1], "loadgen") == 0 && argc >= 4) {
    rc = run_loadgen(ctx, argv[2], atol(argv[3]));
    zmq_ctx_term(ctx);
    return rc;
  } else {
    fprintf(stderr, "handler: unknown mode %s\n", argv[1]);
    return 2;
  }
  fprintf(stderr,
          "handler: %llu requests, %llu other packets, %llu ws sessions, "
          "%llu ws messages\n",
          handled, other, ws_sessions, ws_messages);
  zmq_ctx_term(ctx);
  return rc;
}
