/*
 * A UDP socket for load generation that crosses from JavaScript to C once per batch, not once per
 * datagram: sendBatch() hands many datagrams packed in one Buffer to one sendmmsg(2), and every
 * readable event drains the socket with recvmmsg(2) into a Buffer JavaScript owns, then calls
 * JavaScript once per batch. Node's dgram costs a JS->C++ call, a SendWrap and a sendmsg per
 * datagram sent, and a recvmsg plus a JS callback per datagram received.
 *
 * The socket is non-blocking and watched by a uv_poll on Node's own loop: no thread, no second
 * event loop. Errors become JavaScript errors whose `code` is the errno name (EADDRINUSE...).
 *
 * Optional receive coalescing (the interrupt moderation of NICs, in user space): once a datagram
 * has arrived, the socket is read on a periodic timerfd instead of on every arrival, so a steady
 * stream of replies costs one wake-up per period rather than one per few datagrams; the first
 * timer read that finds the socket empty goes back to waking on arrival.
 *
 * Receive layout, shared with runtime/batch-udp.ts: the receive Buffer holds `slots` slots of
 * `slotSize` bytes; after a batch the datagrams are packed from offset 0 in arrival order, and the
 * meta Uint32Array holds META_WORDS words per datagram: offset, length, source port, family (4 or
 * 6, plus 256 when the datagram was cut to slotSize), then the source address (IPv4: one word in
 * host order; IPv6: four words, each in host order), then how long the datagram waited in the
 * socket's receive queue before this batch was read, in microseconds (from the kernel's receive
 * timestamp, SO_TIMESTAMPNS; QUEUED_UNKNOWN when the kernel gave none). A reply read on a
 * coalescing tick has waited up to coalesceUs: whoever times replies subtracts the wait.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define META_WORDS 9
/* The queue-time word when the datagram carried no kernel timestamp. */
#define QUEUED_UNKNOWN UINT32_MAX
/* Room for one SCM_TIMESTAMPNS control message per received datagram. */
#define CONTROL_SIZE 64
/* Batches drained per readable event before yielding to the rest of the loop (timers, other fds). */
#define MAX_DRAINS_PER_EVENT 16
/* sendmmsg takes at most UIO_MAXIOV (1024) messages a call; sendBatch loops over chunks. */
#define SEND_CHUNK 256

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int family;
  int closed;
  /* The JavaScript external and each uv handle own the struct; it is freed when all let go. */
  int owners;
  /* Receive coalescing (0: off): while datagrams keep coming, the socket is read every
   * coalesce_us by a periodic timerfd instead of on every readable event. */
  uint32_t coalesce_us;
  int tfd;
  int ticking;
  uv_poll_t tick;
  uint32_t slots;
  uint32_t slot_size;
  uint8_t *recv_data;
  uint32_t *meta;
  struct mmsghdr *recv_msgs;
  struct iovec *recv_iov;
  struct sockaddr_storage *recv_names;
  uint8_t *recv_control;
  struct mmsghdr send_msgs[SEND_CHUNK];
  struct iovec send_iov[SEND_CHUNK];
  napi_ref recv_buffer_ref;
  napi_ref meta_ref;
  napi_ref on_batch_ref;
  napi_async_context async_context;
} batch_socket;

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value code, message, error;
  const char *name = uv_err_name(-err);
  char text[160];
  snprintf(text, sizeof text, "%s %s: %s", syscall, name, strerror(err));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_value errno_value, syscall_value;
  napi_create_int32(env, -err, &errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

static void release_owner(batch_socket *s) {
  if (--s->owners > 0) return;
  free(s->recv_msgs);
  free(s->recv_iov);
  free(s->recv_names);
  free(s->recv_control);
  free(s);
}

static void free_unopened(uv_handle_t *handle) { release_owner(handle->data); }

static void on_poll_closed(uv_handle_t *handle) {
  batch_socket *s = handle->data;
  /* The references keep the receive buffers and the callback alive while the fd may be read. */
  napi_delete_reference(s->env, s->recv_buffer_ref);
  napi_delete_reference(s->env, s->meta_ref);
  napi_delete_reference(s->env, s->on_batch_ref);
  napi_async_destroy(s->env, s->async_context);
  release_owner(s);
}

/* Idempotent; safe from inside the batch callback (the struct lives until the poll handle closes). */
static void close_socket(batch_socket *s) {
  if (s->closed) return;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  close(s->fd);
  s->fd = -1;
  uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  if (s->tfd >= 0) {
    uv_poll_stop(&s->tick);
    close(s->tfd);
    s->tfd = -1;
    uv_close((uv_handle_t *)&s->tick, free_unopened);
  }
}

static void cleanup_hook(void *arg) { close_socket(arg); }

static void finalize_external(napi_env env, void *data, void *hint) {
  (void)hint;
  batch_socket *s = data;
  napi_remove_env_cleanup_hook(env, cleanup_hook, s);
  close_socket(s);
  release_owner(s);
}

/* Microseconds between the kernel's receive timestamp of `msg` and `now`, or QUEUED_UNKNOWN. */
static uint32_t queued_us(struct mmsghdr *msg, const struct timespec *now) {
  struct msghdr *h = &msg->msg_hdr;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    struct timespec at;
    memcpy(&at, CMSG_DATA(c), sizeof at);
    int64_t ns = (int64_t)(now->tv_sec - at.tv_sec) * 1000000000 + (now->tv_nsec - at.tv_nsec);
    /* The wall clock can step between the two readings: a negative wait is no wait. */
    if (ns <= 0) return 0;
    int64_t us = ns / 1000;
    return us >= (int64_t)QUEUED_UNKNOWN ? QUEUED_UNKNOWN - 1 : (uint32_t)us;
  }
  return QUEUED_UNKNOWN;
}

static void write_meta(batch_socket *s, uint32_t index, uint32_t offset, struct mmsghdr *msg,
                       const struct timespec *now) {
  uint32_t *m = s->meta + (size_t)index * META_WORDS;
  m[8] = queued_us(msg, now);
  const struct sockaddr_storage *name = msg->msg_hdr.msg_name;
  m[0] = offset;
  m[1] = msg->msg_len;
  uint32_t truncated = (msg->msg_hdr.msg_flags & MSG_TRUNC) ? 256 : 0;
  if (name->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)name;
    const uint8_t *b = a6->sin6_addr.s6_addr;
    m[2] = ntohs(a6->sin6_port);
    m[3] = 6 | truncated;
    for (int w = 0; w < 4; w++)
      m[4 + w] = ((uint32_t)b[4 * w] << 24) | ((uint32_t)b[4 * w + 1] << 16) |
                 ((uint32_t)b[4 * w + 2] << 8) | b[4 * w + 3];
  } else {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)name;
    m[2] = ntohs(a4->sin_port);
    m[3] = 4 | truncated;
    m[4] = ntohl(a4->sin_addr.s_addr);
    m[5] = m[6] = m[7] = 0;
  }
}

/* Packs the received datagrams from offset 0 so JavaScript can copy them out with one memcpy. */
static void pack_batch(batch_socket *s, int count) {
  uint32_t offset = 0;
  /* SO_TIMESTAMPNS stamps with CLOCK_REALTIME: the wait is measured on the same clock. */
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  for (int i = 0; i < count; i++) {
    struct mmsghdr *msg = &s->recv_msgs[i];
    uint32_t length = msg->msg_len;
    uint8_t *from = s->recv_data + (size_t)i * s->slot_size;
    if (from != s->recv_data + offset) memmove(s->recv_data + offset, from, length);
    write_meta(s, (uint32_t)i, offset, msg, &now);
    offset += length;
  }
}

static void reset_recv_headers(batch_socket *s) {
  for (uint32_t i = 0; i < s->slots; i++) {
    s->recv_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    s->recv_msgs[i].msg_hdr.msg_controllen = CONTROL_SIZE;
    s->recv_msgs[i].msg_hdr.msg_flags = 0;
  }
}

static int deliver(batch_socket *s, int count) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value callback, receiver, argument, result;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, s->on_batch_ref, &callback);
  napi_get_global(env, &receiver);
  napi_create_uint32(env, (uint32_t)count, &argument);
  /* make_callback, not call_function: it drains process.nextTick and microtasks afterwards, as
   * Node does after every dgram 'message'. */
  napi_status status = napi_make_callback(env, s->async_context, receiver, callback, 1, &argument, &result);
  int ok = status == napi_ok;
  if (status == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

/* Reads and delivers until the socket is empty (or a bounded number of batches); how many came. */
static uint32_t drain(batch_socket *s) {
  uint32_t delivered = 0;
  for (int round = 0; round < MAX_DRAINS_PER_EVENT && !s->closed; round++) {
    reset_recv_headers(s);
    int count = recvmmsg(s->fd, s->recv_msgs, s->slots, MSG_DONTWAIT, NULL);
    if (count < 0) {
      if (errno == EINTR) continue;
      /* EAGAIN: drained. Anything else (an ICMP error queued on the socket) is lost traffic. */
      break;
    }
    if (count == 0) break;
    delivered += (uint32_t)count;
    pack_batch(s, count);
    if (!deliver(s, count)) break;
    if ((uint32_t)count < s->slots) break;
  }
  return delivered;
}

static void set_ticking(batch_socket *s, uint32_t interval_us);

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  batch_socket *s = handle->data;
  if (status < 0 || s->closed) return;
  uint32_t delivered = drain(s);
  /* Traffic is flowing: read on the timer from now on, so later replies gather into batches. */
  if (delivered > 0 && s->coalesce_us > 0 && !s->closed) set_ticking(s, s->coalesce_us);
}

static void on_tick(uv_poll_t *handle, int status, int events) {
  (void)events;
  batch_socket *s = handle->data;
  if (status < 0 || s->closed) return;
  uint64_t expirations;
  if (read(s->tfd, &expirations, sizeof expirations) < 0 && errno == EAGAIN) return;
  /* A tick that finds nothing: traffic stopped, so go back to waking on arrival. */
  if (drain(s) == 0 && !s->closed) set_ticking(s, 0);
}

static void set_ticking(batch_socket *s, uint32_t interval_us) {
  struct itimerspec spec;
  memset(&spec, 0, sizeof spec);
  spec.it_interval.tv_nsec = (long)interval_us * 1000;
  spec.it_value.tv_nsec = (long)interval_us * 1000;
  if (timerfd_settime(s->tfd, 0, &spec, NULL) < 0) return;
  if (interval_us > 0) {
    uv_poll_stop(&s->poll);
    uv_poll_start(&s->tick, UV_READABLE, on_tick);
    s->ticking = 1;
  } else {
    uv_poll_stop(&s->tick);
    uv_poll_start(&s->poll, UV_READABLE, on_readable);
    s->ticking = 0;
  }
}

static int get_u32(napi_env env, napi_value value, uint32_t *out) {
  return napi_get_value_uint32(env, value, out) == napi_ok;
}

/* Parses "127.0.0.1" or "::1" for `family` into `out`; 0 when it is not a literal of that family. */
static socklen_t parse_address(int family, const char *text, uint32_t port, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (family == 6) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, text, &a6->sin6_addr) == 1 ? sizeof *a6 : 0;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)out;
  a4->sin_family = AF_INET;
  a4->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, text, &a4->sin_addr) == 1 ? sizeof *a4 : 0;
}

static int get_address(napi_env env, napi_value value, char *buffer, size_t size) {
  size_t length;
  return napi_get_value_string_utf8(env, value, buffer, size, &length) == napi_ok && length < size - 1;
}

static batch_socket *get_socket(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return data;
}

static int set_buffer_size(int fd, int option, uint32_t size) {
  if (size == 0) return 0;
  int value = (int)size;
  return setsockopt(fd, SOL_SOCKET, option, &value, sizeof value);
}

/* open(family, address, port, recvBufferSize, sendBufferSize, recvBuffer, meta, slotSize, onBatch,
 *      coalesceUs) */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 10) return throw_type(env, "open() takes 10 arguments");
  uint32_t coalesce_us;
  if (!get_u32(env, argv[9], &coalesce_us) || coalesce_us > 100000)
    return throw_type(env, "coalesceUs must be 0..100000");
  uint32_t family, port, rcvbuf, sndbuf, slot_size;
  char address[64];
  if (!get_u32(env, argv[0], &family) || (family != 4 && family != 6))
    return throw_type(env, "family must be 4 or 6");
  if (!get_address(env, argv[1], address, sizeof address)) return throw_type(env, "address must be an IP literal");
  if (!get_u32(env, argv[2], &port) || port > 65535) return throw_type(env, "port must be 0..65535");
  if (!get_u32(env, argv[3], &rcvbuf) || !get_u32(env, argv[4], &sndbuf))
    return throw_type(env, "buffer sizes must be whole numbers");
  void *recv_data;
  size_t recv_length;
  if (napi_get_buffer_info(env, argv[5], &recv_data, &recv_length) != napi_ok)
    return throw_type(env, "recvBuffer must be a Buffer");
  napi_typedarray_type meta_type;
  size_t meta_length;
  void *meta_data;
  if (napi_get_typedarray_info(env, argv[6], &meta_type, &meta_length, &meta_data, NULL, NULL) != napi_ok ||
      meta_type != napi_uint32_array)
    return throw_type(env, "meta must be a Uint32Array");
  if (!get_u32(env, argv[7], &slot_size) || slot_size == 0) return throw_type(env, "slotSize must be positive");
  napi_valuetype callback_type;
  napi_typeof(env, argv[8], &callback_type);
  if (callback_type != napi_function) return throw_type(env, "onBatch must be a function");
  uint32_t slots = (uint32_t)(recv_length / slot_size);
  if (slots == 0 || slots > 1024 || meta_length < (size_t)slots * META_WORDS)
    return throw_type(env, "recvBuffer must hold 1..1024 slots and meta metaWords words per slot");

  struct sockaddr_storage local;
  socklen_t local_length = parse_address((int)family, address, port, &local);
  if (local_length == 0) return throw_type(env, "address is not an IP literal of the given family");

  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1;
  if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "setsockopt");
  }
  /* Best effort: without kernel timestamps every queue time reads QUEUED_UNKNOWN. */
  (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (set_buffer_size(fd, SO_RCVBUF, rcvbuf) < 0 || set_buffer_size(fd, SO_SNDBUF, sndbuf) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "setsockopt");
  }
  if (bind(fd, (struct sockaddr *)&local, local_length) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }

  batch_socket *s = calloc(1, sizeof *s);
  if (s != NULL) {
    s->recv_msgs = calloc(slots, sizeof *s->recv_msgs);
    s->recv_iov = calloc(slots, sizeof *s->recv_iov);
    s->recv_names = calloc(slots, sizeof *s->recv_names);
    s->recv_control = calloc(slots, CONTROL_SIZE);
  }
  if (s == NULL || s->recv_msgs == NULL || s->recv_iov == NULL || s->recv_names == NULL ||
      s->recv_control == NULL) {
    if (s != NULL) {
      free(s->recv_msgs);
      free(s->recv_iov);
      free(s->recv_names);
      free(s->recv_control);
      free(s);
    }
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  s->env = env;
  s->fd = fd;
  s->family = (int)family;
  s->owners = 2;
  s->tfd = -1;
  s->coalesce_us = coalesce_us;
  s->slots = slots;
  s->slot_size = slot_size;
  s->recv_data = recv_data;
  s->meta = meta_data;
  for (uint32_t i = 0; i < slots; i++) {
    s->recv_iov[i].iov_base = s->recv_data + (size_t)i * slot_size;
    s->recv_iov[i].iov_len = slot_size;
    s->recv_msgs[i].msg_hdr.msg_iov = &s->recv_iov[i];
    s->recv_msgs[i].msg_hdr.msg_iovlen = 1;
    s->recv_msgs[i].msg_hdr.msg_name = &s->recv_names[i];
    s->recv_msgs[i].msg_hdr.msg_control = s->recv_control + (size_t)i * CONTROL_SIZE;
    s->recv_msgs[i].msg_hdr.msg_controllen = CONTROL_SIZE;
  }

  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &s->poll, fd);
  if (rc != 0) {
    close(fd);
    s->owners = 1;
    release_owner(s);
    return throw_errno(env, -rc, "uv_poll_init");
  }
  s->poll.data = s;
  rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    /* An initialised handle must go through uv_close; the struct embeds it, so it is freed after. */
    s->closed = 1;
    close(fd);
    s->fd = -1;
    s->owners = 1;
    uv_close((uv_handle_t *)&s->poll, free_unopened);
    return throw_errno(env, -rc, "uv_poll_start");
  }
  if (coalesce_us > 0) {
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    int err = tfd < 0 ? errno : 0;
    if (tfd >= 0) {
      rc = uv_poll_init(loop, &s->tick, tfd);
      if (rc != 0) {
        close(tfd);
        err = -rc;
      }
    }
    if (err != 0) {
      /* Only the socket's poll handle owns the struct now: no external was made. */
      s->owners = 1;
      close_socket(s);
      return throw_errno(env, err, tfd < 0 ? "timerfd_create" : "uv_poll_init");
    }
    s->tfd = tfd;
    s->tick.data = s;
    s->owners++;
  }

  napi_value resource_name, external;
  napi_create_string_utf8(env, "RadmfaBatchUdp", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &s->async_context);
  napi_create_reference(env, argv[5], 1, &s->recv_buffer_ref);
  napi_create_reference(env, argv[6], 1, &s->meta_ref);
  napi_create_reference(env, argv[8], 1, &s->on_batch_ref);
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  napi_create_external(env, s, finalize_external, NULL, &external);
  return external;
}

/* sendBatch(socket, buffer, lengths, count, address, port): datagram i is lengths[i] bytes,
 * packed one after another from offset 0. Returns how many were handed to the kernel; fewer than
 * count means the send buffer was full (EAGAIN/ENOBUFS): the rest is lost traffic, as a drop. */
static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) return throw_type(env, "sendBatch() takes 6 arguments");
  batch_socket *s = get_socket(env, argv[0]);
  if (s == NULL) return throw_type(env, "not a batch socket");
  if (s->closed) return throw_errno(env, EBADF, "sendmmsg");
  uint8_t *data;
  size_t data_length;
  if (napi_get_buffer_info(env, argv[1], (void **)&data, &data_length) != napi_ok)
    return throw_type(env, "buffer must be a Buffer");
  napi_typedarray_type lengths_type;
  size_t lengths_count;
  void *lengths_data;
  if (napi_get_typedarray_info(env, argv[2], &lengths_type, &lengths_count, &lengths_data, NULL, NULL) != napi_ok ||
      lengths_type != napi_uint32_array)
    return throw_type(env, "lengths must be a Uint32Array");
  uint32_t count, port;
  if (!get_u32(env, argv[3], &count) || count > lengths_count) return throw_type(env, "count exceeds lengths");
  char address[64];
  if (!get_address(env, argv[4], address, sizeof address)) return throw_type(env, "address must be an IP literal");
  if (!get_u32(env, argv[5], &port) || port == 0 || port > 65535) return throw_type(env, "port must be 1..65535");
  struct sockaddr_storage to;
  socklen_t to_length = parse_address(s->family, address, port, &to);
  if (to_length == 0) return throw_type(env, "address is not an IP literal of the socket's family");

  const uint32_t *lengths = lengths_data;
  size_t offset = 0;
  uint32_t sent = 0;
  while (sent < count) {
    uint32_t chunk = count - sent < SEND_CHUNK ? count - sent : SEND_CHUNK;
    for (uint32_t i = 0; i < chunk; i++) {
      uint32_t length = lengths[sent + i];
      if (offset + length > data_length) return throw_type(env, "lengths run past the end of buffer");
      s->send_iov[i].iov_base = data + offset;
      s->send_iov[i].iov_len = length;
      offset += length;
      struct msghdr *h = &s->send_msgs[i].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_name = &to;
      h->msg_namelen = to_length;
      h->msg_iov = &s->send_iov[i];
      h->msg_iovlen = 1;
    }
    int done;
    do {
      done = sendmmsg(s->fd, s->send_msgs, chunk, MSG_DONTWAIT);
    } while (done < 0 && errno == EINTR);
    if (done < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || sent > 0) break;
      return throw_errno(env, errno, "sendmmsg");
    }
    sent += (uint32_t)done;
    if ((uint32_t)done < chunk) {
      /* The kernel stopped part-way (full buffer, or an error it will report on the next call). */
      break;
    }
  }
  napi_value result;
  napi_create_uint32(env, sent, &result);
  return result;
}

/* local(socket) -> [address, port] */
static napi_value js_local(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  batch_socket *s = argc < 1 ? NULL : get_socket(env, argv[0]);
  if (s == NULL) return throw_type(env, "not a batch socket");
  if (s->closed) return throw_errno(env, EBADF, "getsockname");
  struct sockaddr_storage name;
  socklen_t length = sizeof name;
  if (getsockname(s->fd, (struct sockaddr *)&name, &length) < 0) return throw_errno(env, errno, "getsockname");
  char text[INET6_ADDRSTRLEN];
  uint16_t port;
  if (name.ss_family == AF_INET6) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&name;
    inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof text);
    port = ntohs(a6->sin6_port);
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&name;
    inet_ntop(AF_INET, &a4->sin_addr, text, sizeof text);
    port = ntohs(a4->sin_port);
  }
  napi_value result, address, port_value;
  napi_create_array_with_length(env, 2, &result);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address);
  napi_create_uint32(env, port, &port_value);
  napi_set_element(env, result, 0, address);
  napi_set_element(env, result, 1, port_value);
  return result;
}

/* fd(socket) -> the descriptor, or -1 once closed (tests check that close released it). */
static napi_value js_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  batch_socket *s = argc < 1 ? NULL : get_socket(env, argv[0]);
  if (s == NULL) return throw_type(env, "not a batch socket");
  napi_value result;
  napi_create_int32(env, s->fd, &result);
  return result;
}

/* ticking(socket) -> true while receive coalescing reads on its timer rather than on arrival. */
static napi_value js_ticking(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  batch_socket *s = argc < 1 ? NULL : get_socket(env, argv[0]);
  if (s == NULL) return throw_type(env, "not a batch socket");
  napi_value result;
  napi_get_boolean(env, s->ticking != 0, &result);
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  batch_socket *s = argc < 1 ? NULL : get_socket(env, argv[0]);
  if (s == NULL) return throw_type(env, "not a batch socket");
  close_socket(s);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"sendBatch", NULL, js_send_batch, NULL, NULL, NULL, napi_default, NULL},
      {"local", NULL, js_local, NULL, NULL, NULL, napi_default, NULL},
      {"fd", NULL, js_fd, NULL, NULL, NULL, napi_default, NULL},
      {"ticking", NULL, js_ticking, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  napi_value meta_words;
  napi_create_uint32(env, META_WORDS, &meta_words);
  napi_set_named_property(env, exports, "metaWords", meta_words);
  return exports;
}
