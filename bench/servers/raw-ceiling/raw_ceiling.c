/*
 * raw-ceiling: a minimal WebSocket broadcast server used as the practical
 * throughput ceiling of the benchmark box.
 *
 * Single thread, epoll (level-triggered), non-blocking sockets, no external
 * libraries. Publishers connect to GET /pub, subscribers to GET /ws. Every
 * complete text/binary message a publisher sends is framed ONCE into a
 * shared, reference-counted buffer and queued on every subscriber; each
 * subscriber's queue is written with one sendmsg() (gather write) per flush.
 * Flushes happen once per epoll batch, so everything queued for a socket
 * during a batch goes out in a single syscall.
 *
 * See README.md next to this file for the contract and the limits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- limits ------------------------------------------------------------ */
#define OUT_LIMIT ((size_t)64 << 20)  /* per-connection queued output bound */
#define MAX_MSG ((size_t)16 << 20)    /* max assembled inbound message */
#define MAX_HTTP_HDR 8192             /* max handshake request size */
#define READ_BUF (256 * 1024)         /* shared scratch read buffer */
#define MAX_EVENTS 1024
#define IOV_N 1024                    /* iovecs per sendmsg */
#define HDR_ROOM 10                   /* max server frame header size */
#define BEHIND_HIGH ((size_t)1 << 20) /* a subscriber with more queued than this is "behind" */
#define BEHIND_LOW ((size_t)256 << 10) /* ... until its queue drains to this */

/* ---- SHA-1 (FIPS 180-4), written for the handshake only ---------------- */
typedef struct {
    uint32_t h[5];
    uint64_t len;
    uint8_t blk[64];
    size_t n;
} sha1_ctx;

static uint32_t rol32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static void sha1_block(sha1_ctx *c, const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & cc) | (~b & d); k = 0x5A827999; }
        else if (i < 40) { f = b ^ cc ^ d; k = 0x6ED9EBA1; }
        else if (i < 60) { f = (b & cc) | (b & d) | (cc & d); k = 0x8F1BBCDC; }
        else { f = b ^ cc ^ d; k = 0xCA62C1D6; }
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d; d = cc; cc = rol32(b, 30); b = a; a = t;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d; c->h[4] += e;
}

static void sha1_init(sha1_ctx *c)
{
    c->h[0] = 0x67452301; c->h[1] = 0xEFCDAB89; c->h[2] = 0x98BADCFE;
    c->h[3] = 0x10325476; c->h[4] = 0xC3D2E1F0;
    c->len = 0; c->n = 0;
}

static void sha1_update(sha1_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->len += len;
    while (len) {
        size_t k = 64 - c->n;
        if (k > len) k = len;
        memcpy(c->blk + c->n, p, k);
        c->n += k; p += k; len -= k;
        if (c->n == 64) { sha1_block(c, c->blk); c->n = 0; }
    }
}

static void sha1_final(sha1_ctx *c, uint8_t out[20])
{
    uint64_t bits = c->len * 8;
    uint8_t pad = 0x80, zero = 0, lenb[8];
    sha1_update(c, &pad, 1);
    while (c->n != 56) sha1_update(c, &zero, 1);
    for (int i = 0; i < 8; i++) lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_update(c, lenb, 8);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24); out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8); out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

static size_t base64(const uint8_t *in, size_t n, char *out)
{
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = T[v >> 18]; out[o++] = T[(v >> 12) & 63];
        out[o++] = T[(v >> 6) & 63]; out[o++] = T[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = T[v >> 18]; out[o++] = T[(v >> 12) & 63];
        out[o++] = i + 1 < n ? T[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

/* ---- shared, reference-counted output messages -------------------------- */
typedef struct Msg {
    uint32_t refs;
    size_t len;   /* bytes from p */
    size_t cap;   /* payload capacity after HDR_ROOM */
    uint8_t *p;   /* start of the bytes to send */
    uint8_t buf[]; /* HDR_ROOM bytes of headroom, then payload */
} Msg;

static Msg *msg_new(size_t payload_cap)
{
    Msg *m = malloc(sizeof(Msg) + HDR_ROOM + payload_cap);
    if (!m) { perror("malloc"); exit(1); }
    m->refs = 0; m->len = 0; m->cap = payload_cap; m->p = m->buf + HDR_ROOM;
    return m;
}

static void msg_unref(Msg *m) { if (--m->refs == 0) free(m); }

/* Write a server (unmasked, FIN) frame header in front of the payload. */
static void msg_frame(Msg *m, int opcode, size_t plen)
{
    uint8_t *pay = m->buf + HDR_ROOM, *h;
    if (plen < 126) {
        h = pay - 2; h[1] = (uint8_t)plen;
    } else if (plen < 65536) {
        h = pay - 4; h[1] = 126; h[2] = (uint8_t)(plen >> 8); h[3] = (uint8_t)plen;
    } else {
        h = pay - 10; h[1] = 127;
        for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)plen >> (56 - 8 * i));
    }
    h[0] = (uint8_t)(0x80 | opcode);
    m->p = h;
    m->len = (size_t)(pay - h) + plen;
}

/* Copy raw bytes (e.g. an HTTP response) into a new message. */
static Msg *msg_raw(const void *data, size_t n)
{
    Msg *m = msg_new(n);
    memcpy(m->p, data, n);
    m->len = n;
    return m;
}

/* ---- connections -------------------------------------------------------- */
enum { K_HTTP, K_SUB, K_PUB };
enum { F_DIRTY = 1, F_EPOLLOUT = 2, F_CLOSE_AFTER = 4, F_DEAD = 8, F_BEHIND = 16 };

typedef struct OutQ {
    uint32_t head, count, cap; /* ring of Msg*, cap is a power of two */
    size_t head_off;           /* bytes of items[head] already written */
    size_t bytes;              /* total unwritten bytes */
    Msg **items;
} OutQ;

typedef struct HttpIn {
    size_t len;
    char data[MAX_HTTP_HDR];
} HttpIn;

typedef struct WsIn {
    uint8_t hdr[14];
    uint8_t hdr_len, in_frame, opcode, fin;
    uint8_t frag_op; /* opcode of the fragmented message in progress, 0 if none */
    uint8_t mask[4];
    uint32_t mpos;
    uint64_t remain;
    uint8_t ctrl[125];
    uint8_t ctrl_len;
    Msg *asm_msg;    /* message being assembled (publishers only) */
    size_t asm_len;  /* payload bytes assembled */
} WsIn;

typedef struct Conn {
    int fd;
    uint8_t kind, flags;
    int32_t idx;     /* index in subs[] or pubs[], -1 if in neither */
    OutQ *q;
    HttpIn *h;
    WsIn *w;
} Conn;

static int ep;
static Conn **subs; static size_t nsubs, subs_cap;
static Conn **pubs; static size_t npubs, pubs_cap;
static size_t nbehind;   /* subscribers flagged F_BEHIND */
static int pubs_paused;  /* publishers' EPOLLIN is off (backpressure) */
static Conn **dirty; static size_t ndirty, dirty_cap;
static Conn **dead; static size_t ndead, dead_cap;
static size_t nconns;
static uint8_t rbuf[READ_BUF];
static uint64_t stat_msgs, stat_dropped;

static void *xrealloc(void *p, size_t n)
{
    void *r = realloc(p, n);
    if (!r) { perror("realloc"); exit(1); }
    return r;
}

static void push(Conn ***arr, size_t *n, size_t *cap, Conn *c)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *arr = xrealloc(*arr, *cap * sizeof(Conn *));
    }
    (*arr)[(*n)++] = c;
}

static void epoll_update(Conn *c)
{
    uint32_t in = (c->kind == K_PUB && pubs_paused) ? 0 : EPOLLIN;
    struct epoll_event ev = { .events = in | ((c->flags & F_EPOLLOUT) ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void set_epollout(Conn *c, int on)
{
    if (!!(c->flags & F_EPOLLOUT) == !!on) return;
    if (on) c->flags |= F_EPOLLOUT; else c->flags &= (uint8_t)~F_EPOLLOUT;
    epoll_update(c);
}

/* Publisher backpressure: stop reading publishers while a majority of subscribers
 * are behind (so a flooding publisher slows down instead of getting everybody
 * dropped), but never because of a minority: a subscriber that stops reading
 * keeps growing its queue until it hits OUT_LIMIT and is dropped. */
static void update_backpressure(void)
{
    int want = nsubs > 0 && nbehind * 2 > nsubs;
    if (want == pubs_paused) return;
    pubs_paused = want;
    for (size_t i = 0; i < npubs; i++) epoll_update(pubs[i]);
}

static void track_behind(Conn *c)
{
    if (c->kind != K_SUB || !c->q) return;
    if (!(c->flags & F_BEHIND) && c->q->bytes > BEHIND_HIGH) { c->flags |= F_BEHIND; nbehind++; }
    else if ((c->flags & F_BEHIND) && c->q->bytes <= BEHIND_LOW) { c->flags &= (uint8_t)~F_BEHIND; nbehind--; }
}

static void conn_close(Conn *c)
{
    if (c->flags & F_DEAD) return;
    c->flags |= F_DEAD;
    close(c->fd); /* also removes it from the epoll set */
    nconns--;
    if (c->flags & F_BEHIND) nbehind--;
    if (c->idx >= 0) {
        Conn **arr = c->kind == K_SUB ? subs : pubs;
        size_t *n = c->kind == K_SUB ? &nsubs : &npubs;
        Conn *last = arr[--*n];
        arr[c->idx] = last;
        last->idx = c->idx;
        c->idx = -1;
    }
    if (c->q) {
        OutQ *q = c->q;
        for (uint32_t i = 0; i < q->count; i++) msg_unref(q->items[(q->head + i) & (q->cap - 1)]);
        free(q->items); free(q); c->q = NULL;
    }
    free(c->h); c->h = NULL;
    if (c->w) { if (c->w->asm_msg) free(c->w->asm_msg); free(c->w); c->w = NULL; }
    /* freed at the end of the loop iteration: events of this batch may still point at it */
    push(&dead, &ndead, &dead_cap, c);
}

/* Queue a message on a connection. Returns -1 if the output bound would be exceeded. */
static int enqueue(Conn *c, Msg *m, int bounded)
{
    OutQ *q = c->q;
    if (!q) {
        q = c->q = calloc(1, sizeof(OutQ));
        if (!q) { perror("calloc"); exit(1); }
    }
    if (bounded && q->bytes + m->len > OUT_LIMIT) return -1;
    if (q->count == q->cap) {
        uint32_t ncap = q->cap ? q->cap * 2 : 8;
        Msg **ni = malloc(ncap * sizeof(Msg *));
        if (!ni) { perror("malloc"); exit(1); }
        for (uint32_t i = 0; i < q->count; i++) ni[i] = q->items[(q->head + i) & (q->cap - 1)];
        free(q->items);
        q->items = ni; q->cap = ncap; q->head = 0;
    }
    q->items[(q->head + q->count) & (q->cap - 1)] = m;
    q->count++;
    q->bytes += m->len;
    m->refs++;
    if (!(c->flags & F_BEHIND) && c->kind == K_SUB && q->bytes > BEHIND_HIGH) track_behind(c);
    if (!(c->flags & F_DIRTY)) { c->flags |= F_DIRTY; push(&dirty, &ndirty, &dirty_cap, c); }
    return 0;
}

static void send_own(Conn *c, Msg *m) { enqueue(c, m, 0); }

/* Write as much of the queue as the socket takes: one sendmsg() per up to IOV_N messages. */
static void flush(Conn *c)
{
    OutQ *q = c->q;
    while (q && q->count) {
        struct iovec iov[IOV_N];
        size_t total = 0;
        uint32_t k = 0;
        for (; k < IOV_N && k < q->count; k++) {
            Msg *m = q->items[(q->head + k) & (q->cap - 1)];
            size_t off = k ? 0 : q->head_off;
            iov[k].iov_base = m->p + off;
            iov[k].iov_len = m->len - off;
            total += m->len - off;
        }
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = k };
        ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { set_epollout(c, 1); return; }
            conn_close(c); /* EPIPE, ECONNRESET, ... */
            return;
        }
        size_t left = (size_t)w;
        q->bytes -= left;
        if (c->flags & F_BEHIND) track_behind(c);
        while (left) {
            Msg *m = q->items[q->head];
            size_t rem = m->len - q->head_off;
            if (left < rem) { q->head_off += left; break; }
            left -= rem;
            q->head_off = 0;
            q->head = (q->head + 1) & (q->cap - 1);
            q->count--;
            msg_unref(m);
        }
        if ((size_t)w < total) { set_epollout(c, 1); return; } /* socket buffer full */
    }
    /* queue drained */
    set_epollout(c, 0);
    if (q && q->cap > 4096) { free(q->items); free(q); c->q = NULL; } /* give big rings back */
    if (c->flags & F_CLOSE_AFTER) conn_close(c);
}

static void broadcast(Msg *m)
{
    stat_msgs++;
    m->refs++; /* hold while iterating */
    for (size_t i = 0; i < nsubs;) {
        Conn *s = subs[i];
        if (s->flags & F_CLOSE_AFTER) { i++; continue; }
        if (enqueue(s, m, 1) < 0) {
            stat_dropped++;
            conn_close(s); /* swap-removes: re-examine index i */
            continue;
        }
        i++;
    }
    msg_unref(m);
}

/* ---- WebSocket input ---------------------------------------------------- */
static void send_close(Conn *c, uint16_t code)
{
    Msg *m = msg_new(2);
    m->buf[HDR_ROOM] = (uint8_t)(code >> 8);
    m->buf[HDR_ROOM + 1] = (uint8_t)code;
    msg_frame(m, 8, 2);
    send_own(c, m);
    c->flags |= F_CLOSE_AFTER;
}

static void unmask_copy(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], uint32_t *mpos)
{
    uint32_t mp = *mpos;
    size_t i = 0;
    while (i < n && (mp & 3)) { dst[i] = src[i] ^ mask[mp & 3]; i++; mp++; }
    if (n - i >= 8) {
        uint64_t m8;
        uint8_t mb[8] = { mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3] };
        memcpy(&m8, mb, 8);
        for (; i + 8 <= n; i += 8) {
            uint64_t v;
            memcpy(&v, src + i, 8);
            v ^= m8;
            memcpy(dst + i, &v, 8);
        }
    }
    for (; i < n; i++) { dst[i] = src[i] ^ mask[mp & 3]; mp++; }
    *mpos = mp;
}

/* Returns 0 to keep going, -1 if the connection was closed or is closing. */
static int ws_frame_start(Conn *c, WsIn *w)
{
    uint8_t b0 = w->hdr[0], b1 = w->hdr[1];
    w->fin = b0 >> 7;
    w->opcode = b0 & 15;
    uint64_t len = b1 & 127;
    size_t o = 2;
    if (len == 126) { len = (uint64_t)w->hdr[2] << 8 | w->hdr[3]; o = 4; }
    else if (len == 127) { len = 0; for (int i = 0; i < 8; i++) len = len << 8 | w->hdr[2 + i]; o = 10; }
    if ((b0 & 0x70) || !(b1 & 0x80)) { send_close(c, 1002); return -1; } /* RSV set / unmasked */
    memcpy(w->mask, w->hdr + o, 4);
    w->mpos = 0;
    w->remain = len;
    if (w->opcode >= 8) {
        if (!w->fin || len > 125 || (w->opcode != 8 && w->opcode != 9 && w->opcode != 10)) {
            send_close(c, 1002); return -1;
        }
        w->ctrl_len = 0;
    } else if (w->opcode == 0) {
        if (!w->frag_op) { send_close(c, 1002); return -1; }
    } else if (w->opcode == 1 || w->opcode == 2) {
        if (w->frag_op) { send_close(c, 1002); return -1; }
        w->frag_op = w->opcode;
        w->asm_len = 0;
    } else {
        send_close(c, 1002); return -1;
    }
    if (w->opcode < 8 && c->kind == K_PUB) {
        if (w->asm_len + len > MAX_MSG) { send_close(c, 1009); return -1; }
        size_t need = w->asm_len + (size_t)len;
        if (!w->asm_msg) {
            w->asm_msg = msg_new(w->fin ? need : (need < 4096 ? 4096 : need));
        } else if (need > w->asm_msg->cap) {
            size_t ncap = w->asm_msg->cap * 2;
            if (ncap < need) ncap = need;
            w->asm_msg = xrealloc(w->asm_msg, sizeof(Msg) + HDR_ROOM + ncap);
            w->asm_msg->cap = ncap;
        }
    }
    w->in_frame = 1;
    return 0;
}

static int ws_frame_end(Conn *c, WsIn *w)
{
    w->in_frame = 0;
    w->hdr_len = 0;
    switch (w->opcode) {
    case 8: { /* close: echo the status code, then close after flush */
        uint16_t code = w->ctrl_len >= 2 ? (uint16_t)(w->ctrl[0] << 8 | w->ctrl[1]) : 1000;
        send_close(c, code);
        return -1;
    }
    case 9: { /* ping -> pong */
        Msg *m = msg_new(w->ctrl_len);
        memcpy(m->buf + HDR_ROOM, w->ctrl, w->ctrl_len);
        msg_frame(m, 10, w->ctrl_len);
        send_own(c, m);
        return 0;
    }
    case 10: return 0;
    default: /* data frame */
        if (!w->fin) return 0;
        if (c->kind == K_PUB) {
            Msg *m = w->asm_msg;
            w->asm_msg = NULL;
            msg_frame(m, w->frag_op, w->asm_len);
            broadcast(m);
        }
        w->frag_op = 0;
        w->asm_len = 0;
        return 0;
    }
}

/* Client frame header size from its second byte (an unmasked frame has no key; it is rejected later). */
static size_t ws_hdr_len(uint8_t b1)
{
    uint8_t l = b1 & 127;
    return 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + ((b1 & 0x80) ? 4 : 0);
}

static void ws_feed(Conn *c, const uint8_t *p, size_t n)
{
    while (n) {
        if (c->flags & (F_CLOSE_AFTER | F_DEAD)) return; /* ignore input after close */
        WsIn *w = c->w;
        if (!w) {
            w = c->w = calloc(1, sizeof(WsIn));
            if (!w) { perror("calloc"); exit(1); }
        }
        if (!w->in_frame) {
            size_t need = w->hdr_len >= 2 ? ws_hdr_len(w->hdr[1]) : 2;
            while (w->hdr_len < need && n) {
                w->hdr[w->hdr_len++] = *p++; n--;
                if (w->hdr_len == 2) need = ws_hdr_len(w->hdr[1]);
            }
            if (w->hdr_len < need) return; /* partial header */
            if (ws_frame_start(c, w) < 0) return;
            if (w->remain == 0) { if (ws_frame_end(c, w) < 0) return; continue; }
        }
        size_t k = w->remain < n ? (size_t)w->remain : n;
        if (w->opcode >= 8) {
            unmask_copy(w->ctrl + w->ctrl_len, p, k, w->mask, &w->mpos);
            w->ctrl_len = (uint8_t)(w->ctrl_len + k);
        } else if (c->kind == K_PUB) {
            unmask_copy(w->asm_msg->buf + HDR_ROOM + w->asm_len, p, k, w->mask, &w->mpos);
            w->asm_len += k;
        } /* subscribers' data is ignored */
        p += k; n -= k; w->remain -= k;
        if (w->remain == 0 && ws_frame_end(c, w) < 0) return;
    }
    /* subscribers between frames need no per-connection state: keep idle ones small */
    if (c->kind == K_SUB && c->w && !c->w->in_frame && c->w->hdr_len == 0 && !c->w->frag_op) {
        free(c->w); c->w = NULL;
    }
}

/* ---- HTTP handshake ----------------------------------------------------- */
static void http_reply_close(Conn *c, const char *status, const char *extra, const char *body)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
                     status, strlen(body), extra, body);
    send_own(c, msg_raw(buf, (size_t)n));
    c->flags |= F_CLOSE_AFTER;
}

static int token_has(const char *v, size_t vl, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= vl; i++)
        if (strncasecmp(v + i, tok, tl) == 0) return 1;
    return 0;
}

/* req is the full header block (ending in \r\n\r\n), hl its length */
static void http_handle(Conn *c, const char *req, size_t hl, const uint8_t *rest, size_t restn)
{
    const char *end = req + hl;
    const char *eol = memchr(req, '\n', hl);
    if (!eol) { http_reply_close(c, "400 Bad Request", "", "bad request\n"); return; }
    /* request line: METHOD SP PATH SP VERSION */
    const char *sp1 = memchr(req, ' ', (size_t)(eol - req));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2) { http_reply_close(c, "400 Bad Request", "", "bad request\n"); return; }
    size_t ml = (size_t)(sp1 - req);
    const char *path = sp1 + 1;
    size_t pl = (size_t)(sp2 - path);
    const char *qm = memchr(path, '?', pl);
    if (qm) pl = (size_t)(qm - path);
    int is_get = ml == 3 && memcmp(req, "GET", 3) == 0;
    int kind;
    if (pl == 8 && memcmp(path, "/healthz", 8) == 0) {
        http_reply_close(c, "200 OK", "", "ok\n");
        return;
    } else if (pl == 3 && memcmp(path, "/ws", 3) == 0) {
        kind = K_SUB;
    } else if (pl == 4 && memcmp(path, "/pub", 4) == 0) {
        kind = K_PUB;
    } else {
        http_reply_close(c, "404 Not Found", "", "not found\n");
        return;
    }
    if (!is_get) { http_reply_close(c, "405 Method Not Allowed", "Allow: GET\r\n", "method not allowed\n"); return; }
    const char *key = NULL; size_t keyl = 0;
    int upgrade = 0, version_ok = 0;
    for (const char *line = eol + 1; line < end;) {
        const char *le = memchr(line, '\n', (size_t)(end - line));
        if (!le) break;
        const char *colon = memchr(line, ':', (size_t)(le - line));
        if (colon) {
            size_t nl = (size_t)(colon - line);
            const char *v = colon + 1, *ve = le;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            size_t vl = (size_t)(ve - v);
            if (nl == 7 && strncasecmp(line, "Upgrade", 7) == 0) upgrade = token_has(v, vl, "websocket");
            else if (nl == 17 && strncasecmp(line, "Sec-WebSocket-Key", 17) == 0) { key = v; keyl = vl; }
            else if (nl == 21 && strncasecmp(line, "Sec-WebSocket-Version", 21) == 0) version_ok = vl == 2 && memcmp(v, "13", 2) == 0;
        }
        line = le + 1;
    }
    if (!upgrade || !key || keyl == 0 || keyl > 64) {
        http_reply_close(c, "400 Bad Request", "", "websocket upgrade required\n");
        return;
    }
    if (!version_ok) {
        http_reply_close(c, "426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n", "unsupported websocket version\n");
        return;
    }
    static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    sha1_ctx s; uint8_t dg[20]; char acc[32];
    sha1_init(&s); sha1_update(&s, key, keyl); sha1_update(&s, GUID, sizeof GUID - 1); sha1_final(&s, dg);
    base64(dg, 20, acc);
    char resp[256];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
    send_own(c, msg_raw(resp, (size_t)n));
    c->kind = (uint8_t)kind;
    if (kind == K_SUB) { c->idx = (int32_t)nsubs; push(&subs, &nsubs, &subs_cap, c); }
    else { c->idx = (int32_t)npubs; push(&pubs, &npubs, &pubs_cap, c); if (pubs_paused) epoll_update(c); }
    if (restn) ws_feed(c, rest, restn);
}

static void http_feed(Conn *c, const uint8_t *p, size_t n)
{
    if (c->flags & F_CLOSE_AFTER) return;
    if (!c->h) {
        /* common case: the whole request arrived in one read, parse in place */
        const uint8_t *e = memmem(p, n, "\r\n\r\n", 4);
        if (e && (size_t)(e + 4 - p) <= MAX_HTTP_HDR) {
            http_handle(c, (const char *)p, (size_t)(e + 4 - p), e + 4, (size_t)(p + n - e - 4));
            return;
        }
        c->h = malloc(sizeof(HttpIn));
        if (!c->h) { perror("malloc"); exit(1); }
        c->h->len = 0;
    }
    HttpIn *h = c->h;
    size_t k = n < MAX_HTTP_HDR - h->len ? n : MAX_HTTP_HDR - h->len;
    memcpy(h->data + h->len, p, k);
    size_t start = h->len > 3 ? h->len - 3 : 0;
    h->len += k;
    const char *e = memmem(h->data + start, h->len - start, "\r\n\r\n", 4);
    if (!e) {
        if (h->len == MAX_HTTP_HDR) {
            free(c->h); c->h = NULL;
            http_reply_close(c, "431 Request Header Fields Too Large", "", "headers too large\n");
        }
        return;
    }
    size_t hl = (size_t)(e + 4 - h->data);
    /* bytes after the header: what was buffered past it plus what did not fit */
    size_t buffered_rest = h->len - hl;
    c->h = NULL;
    uint8_t *tmp = NULL;
    size_t restn = buffered_rest + (n - k);
    if (restn) {
        tmp = malloc(restn);
        if (!tmp) { perror("malloc"); exit(1); }
        memcpy(tmp, h->data + hl, buffered_rest);
        memcpy(tmp + buffered_rest, p + k, n - k);
    }
    http_handle(c, h->data, hl, tmp, restn);
    free(tmp);
    free(h);
}

/* ---- main loop ---------------------------------------------------------- */
static void on_readable(Conn *c)
{
    ssize_t r = read(c->fd, rbuf, sizeof rbuf);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        conn_close(c);
        return;
    }
    if (r == 0) { conn_close(c); return; }
    if (c->kind == K_HTTP) http_feed(c, rbuf, (size_t)r);
    else ws_feed(c, rbuf, (size_t)r);
}

static int reserve_fd = -1;

static void on_accept(int lfd)
{
    for (int i = 0; i < 256; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                /* out of descriptors: shed the pending connection instead of spinning */
                if (reserve_fd >= 0) { close(reserve_fd); reserve_fd = -1; }
                int t = accept(lfd, NULL, NULL);
                if (t >= 0) close(t);
                reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                continue;
            }
            return; /* EAGAIN or transient error */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Conn *c = calloc(1, sizeof(Conn));
        if (!c) { perror("calloc"); exit(1); }
        c->fd = fd; c->kind = K_HTTP; c->idx = -1;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); free(c); continue; }
        nconns++;
    }
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --port N [--host 127.0.0.1]\n", argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = argv[++i];
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else usage(argv[0]);
    }
    if (!port) usage(argv[0]);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t ss;
    sigemptyset(&ss); sigaddset(&ss, SIGTERM); sigaddset(&ss, SIGINT);
    sigprocmask(SIG_BLOCK, &ss, NULL);
    int sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) { perror("signalfd"); return 1; }

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai) { fprintf(stderr, "bad --host/--port: %s\n", gai_strerror(gai)); return 2; }
    int lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) { perror("socket"); return 1; }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, ai->ai_addr, ai->ai_addrlen) < 0) { perror("bind"); return 1; }
    freeaddrinfo(ai);
    if (listen(lfd, 4096) < 0) { perror("listen"); return 1; }
    struct sockaddr_storage sa; socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    int bound = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                                : ((struct sockaddr_in *)&sa)->sin_port);
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) { perror("epoll_create1"); return 1; }
    static int lmark, smark;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &lmark };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &smark;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

    printf("LISTENING %d\n", bound);
    fflush(stdout);

    static struct epoll_event evs[MAX_EVENTS];
    int running = 1;
    while (running) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            break;
        }
        for (int i = 0; i < n; i++) {
            void *ptr = evs[i].data.ptr;
            if (ptr == &lmark) { on_accept(lfd); continue; }
            if (ptr == &smark) { running = 0; continue; }
            Conn *c = ptr;
            if (c->flags & F_DEAD) continue;
            uint32_t e = evs[i].events;
            if (e & EPOLLOUT) flush(c);
            if (c->flags & F_DEAD) continue;
            if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
        }
        /* one gather write per socket for everything queued during this batch */
        for (size_t i = 0; i < ndirty; i++) {
            Conn *c = dirty[i];
            if (c->flags & F_DEAD) continue;
            c->flags &= (uint8_t)~F_DIRTY;
            if (!(c->flags & F_EPOLLOUT)) flush(c); /* blocked sockets wait for EPOLLOUT */
        }
        ndirty = 0;
        update_backpressure();
        for (size_t i = 0; i < ndead; i++) free(dead[i]);
        ndead = 0;
    }

    /* clean shutdown */
    close(lfd);
    for (size_t i = 0; i < nsubs;) conn_close(subs[i]); /* swap-removes */
    for (size_t i = 0; i < ndead; i++) free(dead[i]);
    fprintf(stderr, "raw-ceiling: exiting, %llu messages broadcast, %llu slow subscribers dropped, %zu connections open\n",
            (unsigned long long)stat_msgs, (unsigned long long)stat_dropped, nconns);
    return 0;
}
