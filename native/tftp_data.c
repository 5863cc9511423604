// The TFTP data phase in C: one read transfer's socket, ACKs in, DATA out, retransmissions,
// on Node's own event loop (uv_poll_t + uv_timer_t) without entering JavaScript per packet.
// JavaScript does everything before (request parsing, the file confined to its roots, option
// negotiation, caps, the timeline) and after (the outcome, once, through `done`). The rules are
// those of src/pxe/tftp/transfer.ts (RFC 1350/2347/2348/7440): block-number rollover, duplicate
// and stale ACKs ignored (never resend on them: Sorcerer's Apprentice), an earlier ACK in a
// window resends from there, retransmission of the window on timeout, ERROR from the peer ends it.
//
// Every datagram is hostile: only its 4-byte header is read, with its length checked first, and
// an ERROR's message is copied with a bound. No path handling here: JS hands over an open fd.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

enum { PHASE_OACK, PHASE_SENDING, PHASE_DONE };
/** Outcomes, in the order of src/pxe/tftp/native.ts's OUTCOMES. */
enum { OUT_OK, OUT_TIMEOUT, OUT_PEER_ERROR, OUT_OPTIONS_REFUSED, OUT_LOCAL_ERROR, OUT_ENDED };

#define MAX_WINDOW 64       /* transfer.ts caps windowsize at limits.maxWindowsize (64) */
#define MAX_BLKSIZE 65464   /* RFC 2348 */
#define GSO_MAX_BYTES 65000 /* what one UDP send may carry */
#define RECV_BATCH 16       /* datagrams per recvmmsg */
#define RECV_ROUNDS 4       /* recvmmsg calls per readable event: other transfers get their turn */
#define RECV_BYTES 516      /* an ACK is 4 bytes, an ERROR at most 512 (longer ones are malformed) */
#define MESSAGE_BYTES 200   /* a peer's ERROR message kept for the timeline */
#define CACHE_BYTES 65536   /* read-ahead per transfer; a block (at most 65464 bytes) always fits */

typedef struct transfer {
  napi_env env;
  napi_ref done;        /* the JS callback, called once */
  napi_ref content_ref; /* keeps `content` alive, when the bytes come from memory */
  napi_async_context async;
  uv_poll_t poll;
  uv_timer_t timer;
  int open_handles; /* uv handles not yet closed; the struct is freed when this reaches 0 */
  int sock, fd, gso, in_js_teardown;
  const uint8_t *content;
  uint64_t size, last_block, acked, sent_to, sent_bytes, retransmits, malformed;
  uint64_t started, heard; /* uv_now() ms */
  uint32_t blksize, windowsize, timeout_ms, max_retries, retries;
  int phase, result;
  uint16_t peer_code;
  uint8_t *oack;
  size_t oack_len;
  uint8_t *window; /* windowsize × (blksize + 4): a window's packets end to end */
  uint8_t *cache;  /* read-ahead of the file (fd only): cache_cap bytes from cache_off */
  size_t cache_cap, cache_len;
  uint64_t cache_off;
  char message[MESSAGE_BYTES + 64];
  char last_error[128]; /* the ERROR sent after JS has heard the outcome, or "" */
} transfer_t;

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/** Sends an ERROR packet (code, message) on the connected socket; best effort. */
static void send_error(transfer_t *t, uint16_t code, const char *message) {
  uint8_t packet[128];
  size_t len = strnlen(message, sizeof packet - 5);
  packet[0] = 0, packet[1] = 5, packet[2] = code >> 8, packet[3] = code & 0xff;
  memcpy(packet + 4, message, len);
  packet[4 + len] = 0;
  (void)send(t->sock, packet, len + 5, MSG_DONTWAIT);
}

static void on_closed(uv_handle_t *handle);

/**
 * Ends the transfer with `result`: the handles close, then (on_closed) JS hears the outcome and
 * only then the last ERROR (if any) leaves, so a client never sees it before the server counted it.
 */
static void finish(transfer_t *t, int result, const char *error_out) {
  if (t->phase == PHASE_DONE) return;
  t->phase = PHASE_DONE;
  t->result = result;
  if (error_out) snprintf(t->last_error, sizeof t->last_error, "%s", error_out);
  uv_poll_stop(&t->poll);
  uv_timer_stop(&t->timer);
  uv_close((uv_handle_t *)&t->poll, on_closed);
  uv_close((uv_handle_t *)&t->timer, on_closed);
}

static void restart_timer(transfer_t *t);

/** ICMP port unreachable (ECONNREFUSED on the connected socket): the client is gone. */
static void peer_gone(transfer_t *t) {
  snprintf(t->message, sizeof t->message, "client sent error 0: port unreachable (the client closed its port)");
  finish(t, OUT_PEER_ERROR, NULL);
}

/**
 * One block's file bytes [offset, offset + length): a pointer into `content`, or into the
 * read-ahead cache (refilled with one pread of cache_cap bytes when the block is not wholly
 * inside it: at blksize 1468 one read per 44 packets). NULL with errno on a read error; `*got`
 * short when the file ended early (it shrank).
 */
static const uint8_t *file_bytes(transfer_t *t, uint64_t offset, uint64_t length, uint64_t *got) {
  if (t->content) return *got = length, t->content + offset;
  if (offset >= t->cache_off && offset + length <= t->cache_off + t->cache_len) return *got = length, t->cache + (offset - t->cache_off);
  // Synchronous: a boot file is in the page cache after its first client (docs/decisions.md).
  t->cache_off = offset, t->cache_len = 0;
  while (t->cache_len < t->cache_cap) {
    ssize_t n = pread(t->fd, t->cache + t->cache_len, t->cache_cap - t->cache_len, (off_t)(offset + t->cache_len));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return t->cache_len = 0, NULL;
    if (n == 0) break;
    t->cache_len += (size_t)n;
  }
  *got = min_u64(length, t->cache_len);
  return t->cache;
}

/** Sends `len` bytes of packets (`count` of them, each `segment` bytes but the last); false when the peer is gone. */
static int send_packets(transfer_t *t, uint8_t *at, size_t len, uint32_t count, uint32_t segment) {
  // With GSO, up to GSO_MAX_BYTES of packets leave in one send (at most MAX_WINDOW of them, within
  // the kernel's 64 segments); else one send per packet.
  uint32_t per_send = t->gso ? GSO_MAX_BYTES / segment : 1;
  while (count > 0) {
    uint32_t n = count < per_send ? count : per_send;
    size_t bytes = min_u64((size_t)n * segment, len);
    if (send(t->sock, at, bytes, MSG_DONTWAIT) < 0) {
      if (errno == ECONNREFUSED) return 0;
      if (t->gso && errno == EIO) t->gso = 0, per_send = 1; /* no offload on this route: plain sends */
      else return 1; /* EAGAIN and the like: the timer resends the window */
      continue;
    }
    at += bytes, len -= bytes, count -= n;
  }
  return 1;
}

/** Sends the window starting at block `from` (RFC 7440), as transfer.ts's windowFrom + data. */
static void send_window(transfer_t *t, uint64_t from) {
  uint64_t count = min_u64(t->windowsize, t->last_block - from + 1);
  uint64_t offset = (from - 1) * (uint64_t)t->blksize;
  uint64_t length = offset >= t->size ? 0 : min_u64(count * t->blksize, t->size - offset);
  // The window's packets end to end in one buffer, so GSO can send them in one go.
  uint32_t segment = t->blksize + 4;
  for (uint64_t i = 0; i < count; i++) {
    uint8_t *packet = t->window + i * segment;
    uint64_t block = from + i, start = min_u64(i * t->blksize, length), len = min_u64(t->blksize, length - start), got = 0;
    packet[0] = 0, packet[1] = 3, packet[2] = (block >> 8) & 0xff, packet[3] = block & 0xff;
    const uint8_t *bytes = len > 0 ? file_bytes(t, offset + start, len, &got) : NULL;
    if (len > 0 && (!bytes || got != len)) {
      if (!bytes) snprintf(t->message, sizeof t->message, "read failed: %s", strerror(errno));
      else snprintf(t->message, sizeof t->message, "file changed while being read: expected %llu bytes at offset %llu, found %llu",
                    (unsigned long long)length, (unsigned long long)offset, (unsigned long long)(start + got));
      finish(t, OUT_LOCAL_ERROR, "read error");
      return;
    }
    if (len > 0) memcpy(packet + 4, bytes, len);
  }
  t->sent_bytes += length;
  if (from + count - 1 > t->sent_to) t->sent_to = from + count - 1;
  if (!send_packets(t, t->window, count * 4 + length, (uint32_t)count, segment)) {
    peer_gone(t);
    return;
  }
  restart_timer(t);
}

static void on_timeout(uv_timer_t *timer) {
  transfer_t *t = timer->data;
  if (t->phase == PHASE_DONE) return;
  if (t->retries >= t->max_retries) {
    snprintf(t->message, sizeof t->message, "no acknowledgement after %u tries of %u ms (last acknowledged block %llu)", t->retries + 1,
             t->timeout_ms, (unsigned long long)t->acked);
    finish(t, OUT_TIMEOUT, "timed out");
    return;
  }
  t->retries++, t->retransmits++;
  if (t->phase == PHASE_OACK) {
    if (send(t->sock, t->oack, t->oack_len, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED) peer_gone(t);
    else restart_timer(t);
    return;
  }
  send_window(t, t->acked + 1);
}

static void restart_timer(transfer_t *t) { uv_timer_start(&t->timer, on_timeout, t->timeout_ms, 0); }

static void on_ack(transfer_t *t, uint16_t raw) {
  t->heard = uv_now(t->poll.loop);
  if (t->phase == PHASE_OACK) {
    if (raw != 0) return;
    t->phase = PHASE_SENDING, t->retries = 0;
    send_window(t, 1);
    return;
  }
  // The block acknowledged, unwrapped: the one at or after `acked` with these low 16 bits.
  uint64_t block = t->acked + (uint16_t)(raw - (uint16_t)t->acked);
  if (block == t->acked || block > t->sent_to) return; /* duplicate or stale */
  t->acked = block;
  if (block == t->last_block) {
    finish(t, OUT_OK, NULL);
    return;
  }
  // A full window slides on; an earlier block means the rest was lost: resend from there.
  t->retries = 0;
  send_window(t, block + 1);
}

/** One datagram from the peer (the connected socket drops other TIDs in the kernel). */
static void on_packet(transfer_t *t, const uint8_t *p, size_t len) {
  uint16_t op = len >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 0;
  if (len < 4 || len > 512 || op < 1 || op > 6) {
    t->malformed++; /* codec.ts would refuse it too: too short, too long or no such opcode */
    return;
  }
  if (op == 4) {
    on_ack(t, (uint16_t)(p[2] << 8 | p[3]));
    return;
  }
  if (op != 5) return; /* a request, DATA or OACK on a read transfer: ignored, as the JS path does */
  const uint8_t *nul = memchr(p + 4, 0, len - 4);
  if (!nul) {
    t->malformed++; /* an ERROR without its terminating NUL */
    return;
  }
  t->peer_code = (uint16_t)(p[2] << 8 | p[3]);
  size_t mlen = (size_t)(nul - (p + 4));
  // The message is shown in the timeline: printable ASCII only, at most MESSAGE_BYTES.
  char text[MESSAGE_BYTES + 1];
  size_t k = 0;
  for (size_t i = 0; i < mlen && k < MESSAGE_BYTES; i++) text[k++] = p[4 + i] >= 0x20 && p[4 + i] < 0x7f ? (char)p[4 + i] : '?';
  text[k] = 0;
  snprintf(t->message, sizeof t->message, "client sent error %u: %s", t->peer_code, text);
  finish(t, t->peer_code == 8 ? OUT_OPTIONS_REFUSED : OUT_PEER_ERROR, NULL);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  transfer_t *t = poll->data;
  (void)events;
  if (t->phase == PHASE_DONE) return;
  if (status < 0) {
    // A socket error (libuv stops the poll on POLLERR): ICMP port unreachable ends the transfer;
    // anything else is cleared and the poll goes on.
    int err = 0;
    socklen_t len = sizeof err;
    (void)getsockopt(t->sock, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == ECONNREFUSED) {
      peer_gone(t);
      return;
    }
    uv_poll_start(&t->poll, UV_READABLE, on_readable);
    return;
  }
  static _Thread_local uint8_t bufs[RECV_BATCH][RECV_BYTES]; /* per loop thread; nothing keeps them across calls */
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  for (int round = 0; round < RECV_ROUNDS && t->phase != PHASE_DONE; round++) {
    for (int i = 0; i < RECV_BATCH; i++) {
      iov[i].iov_base = bufs[i], iov[i].iov_len = RECV_BYTES;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i], msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(t->sock, msgs, RECV_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (n < 0) {
      if (errno == ECONNREFUSED) peer_gone(t);
      return;
    }
    for (int i = 0; i < n && t->phase != PHASE_DONE; i++) on_packet(t, bufs[i], msgs[i].msg_len);
    if (n < RECV_BATCH) return;
  }
}

/** Calls `done(result, ackedBytes, sentBytes, retransmits, malformed, message, ms)` once, from the loop. */
static void call_done(transfer_t *t) {
  napi_env env = t->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, argv[7], ignored;
  uint64_t acked_bytes = min_u64(t->acked * t->blksize, t->size);
  napi_create_int32(env, t->result, &argv[0]);
  napi_create_double(env, (double)acked_bytes, &argv[1]);
  napi_create_double(env, (double)t->sent_bytes, &argv[2]);
  napi_create_double(env, (double)t->retransmits, &argv[3]);
  napi_create_double(env, (double)t->malformed, &argv[4]);
  napi_create_string_utf8(env, t->message, NAPI_AUTO_LENGTH, &argv[5]);
  napi_create_double(env, (double)(uv_now(t->poll.loop) - t->started), &argv[6]);
  napi_get_reference_value(env, t->done, &fn);
  napi_get_global(env, &recv); /* napi_make_callback wants an object as `this` */
  if (napi_make_callback(env, t->async, recv, fn, 7, argv, &ignored) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void teardown(void *arg);

static void on_closed(uv_handle_t *handle) {
  transfer_t *t = handle->data;
  if (--t->open_handles > 0) return;
  if (!t->in_js_teardown) {
    napi_remove_env_cleanup_hook(t->env, teardown, t);
    call_done(t);
    napi_delete_reference(t->env, t->done);
    if (t->content_ref) napi_delete_reference(t->env, t->content_ref);
    napi_async_destroy(t->env, t->async);
  }
  if (t->last_error[0]) send_error(t, 0, t->last_error);
  close(t->sock);
  free(t->window);
  free(t->oack);
  free(t->cache);
  free(t);
}

/** The environment is going away (process or worker exit): close without calling JS. */
static void teardown(void *arg) {
  transfer_t *t = arg;
  t->in_js_teardown = 1;
  finish(t, OUT_ENDED, NULL);
}

// ---- JS API: start(...) → handle, progress(handle) → [ackedBytes, msSinceHeard], end(handle, message?)

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "tftp_data: N-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err, int sock) {
  char text[160];
  snprintf(text, sizeof text, "tftp_data: %s failed: %s", what, strerror(err));
  if (sock >= 0) close(sock);
  napi_throw_error(env, NULL, text);
  return NULL;
}

/** Parses an IPv4 or IPv6 literal (no scope) and port into `ss`; its length, or 0. */
static socklen_t parse_address(const char *text, uint32_t port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) return a4->sin_family = AF_INET, a4->sin_port = htons(port), sizeof *a4;
  if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) return a6->sin6_family = AF_INET6, a6->sin6_port = htons(port), sizeof *a6;
  return 0;
}

/**
 * start(local, peer, peerPort, fd, content, size, blksize, windowsize, timeoutMs, maxRetries, oack, done):
 * binds a socket to local:0, connects it to peer:peerPort, sends `oack` (a Buffer) or the first
 * window, and runs the transfer; the bytes come from `content` (a Buffer) or else from `fd`.
 */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12) return napi_throw_type_error(env, NULL, "tftp_data.start: expected 12 arguments"), NULL;
  char local[64], peer[64];
  size_t len;
  uint32_t port, blksize, windowsize, timeout_ms, max_retries;
  int32_t fd;
  double size;
  CHECK(napi_get_value_string_utf8(env, argv[0], local, sizeof local, &len));
  CHECK(napi_get_value_string_utf8(env, argv[1], peer, sizeof peer, &len));
  CHECK(napi_get_value_uint32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &fd));
  CHECK(napi_get_value_double(env, argv[5], &size));
  CHECK(napi_get_value_uint32(env, argv[6], &blksize));
  CHECK(napi_get_value_uint32(env, argv[7], &windowsize));
  CHECK(napi_get_value_uint32(env, argv[8], &timeout_ms));
  CHECK(napi_get_value_uint32(env, argv[9], &max_retries));
  uint8_t *content = NULL, *oack = NULL;
  size_t content_len = 0, oack_len = 0;
  bool is_buffer;
  CHECK(napi_is_buffer(env, argv[4], &is_buffer));
  if (is_buffer) CHECK(napi_get_buffer_info(env, argv[4], (void **)&content, &content_len));
  CHECK(napi_is_buffer(env, argv[10], &is_buffer));
  if (is_buffer) CHECK(napi_get_buffer_info(env, argv[10], (void **)&oack, &oack_len));
  // Bounds: what transfer.ts can negotiate, and the file wholly inside `content` when given.
  if (port < 1 || port > 65535 || blksize < 8 || blksize > MAX_BLKSIZE || windowsize < 1 || windowsize > MAX_WINDOW || timeout_ms < 1 ||
      timeout_ms > 255000 || max_retries > 100 || !(size >= 0 && size <= 9007199254740991.0) || (is_buffer && oack_len > 512) ||
      (content && content_len < (size_t)size) || (!content && fd < 0))
    return napi_throw_range_error(env, NULL, "tftp_data.start: an argument is out of range"), NULL;

  struct sockaddr_storage local_addr, peer_addr;
  socklen_t local_len = parse_address(local, 0, &local_addr), peer_len = parse_address(peer, port, &peer_addr);
  if (!local_len || !peer_len || local_addr.ss_family != peer_addr.ss_family)
    return napi_throw_type_error(env, NULL, "tftp_data.start: expected IP literals of one family for local and peer"), NULL;
  int sock = socket(local_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock < 0) return throw_errno(env, "socket", errno, -1);
  int one = 1;
  if (local_addr.ss_family == AF_INET6) (void)setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(sock, (struct sockaddr *)&local_addr, local_len) < 0) return throw_errno(env, "bind", errno, sock);
  // Connected: the kernel keeps the route, drops other TIDs and reports the peer's port unreachable.
  if (connect(sock, (struct sockaddr *)&peer_addr, peer_len) < 0) return throw_errno(env, "connect", errno, sock);

  transfer_t *t = calloc(1, sizeof *t);
  uint32_t segment = blksize + 4;
  if (t) t->window = malloc((size_t)windowsize * segment);
  if (t && oack_len) t->oack = malloc(oack_len);
  if (t && !content) t->cache_cap = min_u64((uint64_t)size, CACHE_BYTES);
  if (t && t->cache_cap) t->cache = malloc(t->cache_cap);
  if (!t || !t->window || (oack_len && !t->oack) || (t->cache_cap && !t->cache)) {
    if (t) free(t->window), free(t->oack), free(t->cache), free(t);
    return throw_errno(env, "malloc", ENOMEM, sock);
  }
  t->env = env, t->sock = sock, t->fd = fd, t->content = content, t->size = (uint64_t)size;
  t->blksize = blksize, t->windowsize = windowsize, t->timeout_ms = timeout_ms, t->max_retries = max_retries;
  t->last_block = t->size / blksize + 1;
  // The option cuts every send into segments, the OACK and ERRORs too: only for segments they fit in.
  t->gso = windowsize > 1 && segment * 2 <= GSO_MAX_BYTES && segment >= 512 + 4 && setsockopt(sock, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment) == 0;
  if (oack_len) memcpy(t->oack, oack, oack_len), t->oack_len = oack_len;
  uv_loop_t *loop;
  napi_value name;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_reference(env, argv[11], 1, &t->done));
  if (content) CHECK(napi_create_reference(env, argv[4], 1, &t->content_ref));
  CHECK(napi_create_string_utf8(env, "TftpNativeTransfer", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &t->async));
  uv_poll_init(loop, &t->poll, sock);
  uv_timer_init(loop, &t->timer);
  t->poll.data = t->timer.data = t;
  t->open_handles = 2;
  t->started = t->heard = uv_now(loop);
  napi_add_env_cleanup_hook(env, teardown, t);
  uv_poll_start(&t->poll, UV_READABLE, on_readable);
  if (oack_len) {
    t->phase = PHASE_OACK;
    (void)send(sock, t->oack, oack_len, MSG_DONTWAIT);
    restart_timer(t);
  } else {
    t->phase = PHASE_SENDING;
    send_window(t, 1);
  }
  napi_value handle;
  CHECK(napi_create_external(env, t, NULL, NULL, &handle));
  return handle;
}

/** The transfer behind a handle; JS (native.ts) never passes one whose `done` has been called (freed). */
static transfer_t *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return data;
}

/** progress(handle) → [ackedBytes, msSinceHeard]; JS calls it only while the transfer runs. */
static napi_value progress(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  transfer_t *t = argc == 1 ? unwrap(env, argv[0]) : NULL;
  if (!t) return napi_throw_type_error(env, NULL, "tftp_data.progress: expected a transfer handle"), NULL;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_double(env, (double)min_u64(t->acked * t->blksize, t->size), &v));
  CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_double(env, (double)(uv_now(t->poll.loop) - t->heard), &v));
  CHECK(napi_set_element(env, out, 1, v));
  return out;
}

/** end(handle, message?): ends the transfer now, an ERROR with `message` first when given. */
static napi_value end(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  transfer_t *t = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (!t) return napi_throw_type_error(env, NULL, "tftp_data.end: expected a transfer handle"), NULL;
  char message[128];
  size_t len = 0;
  napi_valuetype type = napi_undefined;
  if (argc == 2) CHECK(napi_typeof(env, argv[1], &type));
  if (type == napi_string) CHECK(napi_get_value_string_utf8(env, argv[1], message, sizeof message, &len));
  finish(t, OUT_ENDED, type == napi_string ? message : NULL);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"progress", NULL, progress, NULL, NULL, NULL, napi_default, NULL},
      {"end", NULL, end, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 3, props) != napi_ok) return NULL;
  return exports;
}
