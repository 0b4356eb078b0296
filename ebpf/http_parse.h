/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.x parsing over a window of bytes copied from a syscall buffer.
 * Pure C with no libc and no BPF helpers: the BPF programs, the Catch2 tests
 * and the fuzzer all compile this very file.
 *
 * In BPF the entry points are global functions (AS_API): the verifier checks
 * each once on its own instead of once per call site, which keeps the byte
 * loops below well inside its limits.
 */
#ifndef APISCOPE_HTTP_PARSE_H
#define APISCOPE_HTTP_PARSE_H

#include "apiscope_shared.h"

/* Which headers to capture: the includer names a struct as_capture_cfg (BPF
 * rodata in the kernel, a plain global in tests). */
#ifndef AS_CAPTURE_CFG
#error "define AS_CAPTURE_CFG to the struct as_capture_cfg in use"
#endif

#ifdef __bpf__
#define AS_API __attribute__((noinline))
#define AS_INLINE static __attribute__((always_inline)) inline
#else
#define AS_API static inline
#define AS_INLINE static inline
#endif

/*
 * Byte loops run through bpf_loop() in the kernel: its callback is verified
 * once, where an open-coded loop over hundreds of bytes makes the verifier
 * walk every iteration of every path. In user space, a plain loop.
 */
#ifdef __bpf__
#define AS_LOOP(n, fn, ctx) bpf_loop((n), (fn), (ctx), 0)
#else
static inline long as_loop_user(__u32 n, long (*fn)(__u64, void *), void *ctx)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (fn(i, ctx))
			break;
	return i;
}
#define AS_LOOP(n, fn, ctx) as_loop_user((n), (fn), (ctx))
#endif

/*
 * Word loops run on the kernel's numeric iterator: the verifier checks the
 * body until its state repeats (a few passes), where a plain bounded loop is
 * walked once per iteration, and each helper-free step costs only the
 * iterator call. AS_ITER_NEXT yields the next index or ends the loop.
 */
#ifdef __bpf__
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __attribute__((section(".ksyms")));
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __attribute__((section(".ksyms")));
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __attribute__((section(".ksyms")));
#define AS_ITER struct bpf_iter_num
#define AS_ITER_NEW(it, start, end) bpf_iter_num_new((it), (start), (end))
#define AS_ITER_NEXT(it) bpf_iter_num_next(it)
#define AS_ITER_DESTROY(it) bpf_iter_num_destroy(it)
#else
struct as_iter {
	int val, next, end;
};
static inline int *as_iter_next(struct as_iter *it)
{
	if (it->next >= it->end)
		return 0;
	it->val = it->next++;
	return &it->val;
}
#define AS_ITER struct as_iter
#define AS_ITER_NEW(it, from, to) ((it)->next = (from), (it)->end = (to), 0)
#define AS_ITER_NEXT(it) as_iter_next(it)
#define AS_ITER_DESTROY(it) ((void)(it))
#endif

/* Copy n bytes out of the window: one helper call in the kernel, where a
 * byte loop would cost a few ns per byte. */
#ifdef __bpf__
#define AS_COPY(dst, n, src) bpf_probe_read_kernel((dst), (n), (src))
#else
#define AS_COPY(dst, n, src) __builtin_memcpy((dst), (src), (n))
#endif

#define AS_WINDOW 512 /* bytes of one buffer copied and parsed at a time */
#define AS_WMASK (AS_WINDOW - 1)
#define AS_MAX_METHOD_LEN 20

struct as_window {
	union {
		__u8 b[AS_WINDOW];
		__u64 q[AS_WINDOW / 8]; /* aligned words for the scans that go a word at a time */
	};
};

enum as_msg_kind {
	AS_MSG_NONE = 0,
	AS_MSG_REQUEST = 1,
	AS_MSG_RESPONSE = 2,
};

struct as_start {
	__u16 status;
	__u16 path_off;
	__u16 path_len;
	__u16 head_from; /* where the head scan starts: the rest of the start line */
	__u16 avail;    /* bytes parsed */
	__u8 kind;      /* enum as_msg_kind */
	__u8 method;    /* enum as_method */
	__u8 more;      /* AS_MSG_NONE so far, but what came may begin a start line */
	__u8 pad[3];
};

/* State of the header scanner, carried across buffers. */
enum as_head_state {
	AS_HS_LINE_START = 0,
	AS_HS_EMPTY_CR,
	AS_HS_NAME,
	AS_HS_VALUE_CL,
	AS_HS_VALUE_TE,
	AS_HS_SKIP, /* rest of the line is of no interest */
	AS_HS_VALUE_CAP, /* the value of a captured header */
};

enum as_head_flags {
	AS_HF_HAS_CL = 1,
	AS_HF_CHUNKED = 2,
	AS_HF_BAD_CL = 4,
};

struct as_head_scan {
	__u64 content_length;
	__u8 state;
	__u8 name_pos;
	__u8 cand; /* bit 0: still may be content-length, bit 1: transfer-encoding */
	__u8 flags;
	__u8 te_match;
	__u8 cl_digits;
	__u16 pos; /* scan position, kept here for the verifier's sake */
	__u8 cdir;  /* capture list in use: 0 request headers, 1 response headers */
	__u8 ccand; /* byte machine: captured headers the name may still be */
	__u8 pad[6];
};

AS_INLINE __u8 as_lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

AS_INLINE int as_is_hex(__u8 c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Index masked in a way the compiler cannot drop, for the verifier. */
AS_INLINE __u32 as_mask(__u32 i, __u32 mask)
{
#ifdef __bpf__
	asm volatile("" : "+r"(i));
#endif
	return i & mask;
}

AS_INLINE __u8 as_method_from_token(const __u8 *t, __u32 len)
{
	/* Compare as one little-endian word: cheaper than a string table in BPF. */
	__u64 v = 0;
	__u32 i;

	if (len > 7)
		return AS_METHOD_OTHER;
	for (i = 0; i < 7; i++)
		if (i < len)
			v |= (__u64)t[i] << (8 * i);
#define AS_W(a, b, c, d, e, f, g)                                                          \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
	 (__u64)(f) << 40 | (__u64)(g) << 48)
	if (v == AS_W('G', 'E', 'T', 0, 0, 0, 0))
		return AS_METHOD_GET;
	if (v == AS_W('H', 'E', 'A', 'D', 0, 0, 0))
		return AS_METHOD_HEAD;
	if (v == AS_W('P', 'O', 'S', 'T', 0, 0, 0))
		return AS_METHOD_POST;
	if (v == AS_W('P', 'U', 'T', 0, 0, 0, 0))
		return AS_METHOD_PUT;
	if (v == AS_W('D', 'E', 'L', 'E', 'T', 'E', 0))
		return AS_METHOD_DELETE;
	if (v == AS_W('C', 'O', 'N', 'N', 'E', 'C', 'T'))
		return AS_METHOD_CONNECT;
	if (v == AS_W('O', 'P', 'T', 'I', 'O', 'N', 'S'))
		return AS_METHOD_OPTIONS;
	if (v == AS_W('T', 'R', 'A', 'C', 'E', 0, 0))
		return AS_METHOD_TRACE;
	if (v == AS_W('P', 'A', 'T', 'C', 'H', 0, 0))
		return AS_METHOD_PATCH;
#undef AS_W
	return AS_METHOD_OTHER;
}

/* Index (0-7) of the lowest byte flagged in a has-zero-byte mask. */
AS_INLINE __u32 as_lowest_byte(__u64 m)
{
	__u32 i = 0;

	if (!(m & 0xffffffffULL)) {
		i += 4;
		m >>= 32;
	}
	if (!(m & 0xffff)) {
		i += 2;
		m >>= 16;
	}
	if (!(m & 0xff))
		i += 1;
	return i;
}

/* w[i], masked in a way the compiler cannot drop, so the verifier sees it. */
AS_INLINE __u8 as_byte(const struct as_window *w, __u32 i)
{
#ifdef __bpf__
	asm volatile("" : "+r"(i));
#endif
	return w->b[i & AS_WMASK];
}

/* The idx-th aligned word of w, bounded the same way. */
AS_INLINE __u64 as_word(const struct as_window *w, __u32 idx)
{
#ifdef __bpf__
	asm volatile("" : "+r"(idx));
#endif
	return w->q[idx & (AS_WINDOW / 8 - 1)];
}

/* Eight bytes at w[i] (i <= AS_WINDOW - 16), from two aligned words: an
 * unaligned load would be split into eight byte loads. */
AS_INLINE __u64 as_load64(const struct as_window *w, __u32 i)
{
	__u64 lo = as_word(w, i / 8), hi = as_word(w, i / 8 + 1);
	__u32 sh = (i & 7) * 8;

	return sh ? (lo >> sh) | (hi << (64 - sh)) : lo;
}

/* A mask of a word's first k bytes (k < 8), as they lie in memory. */
AS_INLINE __u64 as_low_bytes(__u32 k)
{
	return ~(~0ULL << (8 * k));
}

/* Flags (0x80) the bytes of x equal to c, exactly: no borrow between bytes. */
AS_INLINE __u64 as_bytes_eq(__u64 x, __u8 c)
{
	const __u64 low7 = 0x7f7f7f7f7f7f7f7fULL;
	__u64 y = x ^ (0x0101010101010101ULL * c);

	return ~(((y & low7) + low7) | y | low7);
}

/* "HTTP/1.0" or "HTTP/1.1" at w[off]. */
AS_INLINE int as_is_version(const struct as_window *w, __u32 off, __u32 n)
{
	const __u8 *b = w->b;

	if (off + 8 > n || off + 8 > AS_WINDOW)
		return 0;
	return b[off & AS_WMASK] == 'H' && b[(off + 1) & AS_WMASK] == 'T' &&
	       b[(off + 2) & AS_WMASK] == 'T' && b[(off + 3) & AS_WMASK] == 'P' &&
	       b[(off + 4) & AS_WMASK] == '/' && b[(off + 5) & AS_WMASK] == '1' &&
	       b[(off + 6) & AS_WMASK] == '.' &&
	       (b[(off + 7) & AS_WMASK] == '0' || b[(off + 7) & AS_WMASK] == '1');
}

/*
 * The parsers below keep each byte loop in a global function of its own whose
 * exits return at once, and pass results through memory (*s): the verifier
 * then checks the code after a loop once, not once per byte the loop could
 * have stopped at.
 */

/* From s->path_off, find the space that ends the target (kept in s->path_len
 * for now). -1: a CR, LF or NUL inside the target. A word at a time: API
 * paths run to dozens of bytes. */
AS_API int as_scan_target(const struct as_window *w, struct as_start *s)
{
	__u32 from, n, nw;
	AS_ITER it;
	int *v, r = 0;

	if (!w || !s)
		return -1;
	from = s->path_off;
	n = s->avail;
	if (n > AS_WINDOW)
		n = AS_WINDOW;
	nw = (n + 7) / 8;
	AS_ITER_NEW(&it, from / 8, nw);
	while ((v = AS_ITER_NEXT(&it))) {
		__u32 idx = *v, base = idx * 8, at;
		__u64 x, m;

		if (idx >= AS_WINDOW / 8)
			break;
		x = as_word(w, idx);
		m = as_bytes_eq(x, ' ') | as_bytes_eq(x, '\r') | as_bytes_eq(x, '\n') | as_bytes_eq(x, 0);
		if (base < from)
			m &= ~as_low_bytes(from - base);
		if (n - base < 8)
			m &= as_low_bytes(n - base);
		if (!m)
			continue;
		at = base + as_lowest_byte(m);
		if (as_byte(w, at) == ' ')
			s->path_len = at;
		else
			r = -1; /* HTTP/0.9 or garbage */
		break;
	}
	AS_ITER_DESTROY(&it);
	return r;
}

/* Judge a request line from what as_scan_target found. */
AS_API int as_finish_request(const struct as_window *w, struct as_start *s)
{
	__u32 sp, n;

	if (!w || !s)
		return AS_MSG_NONE;
	sp = s->path_len;
	n = s->avail;
	if (sp) {
		/* " HTTP/1.x" then the end of the line, unless they have not arrived yet */
		if (sp + 9 <= n && !as_is_version(w, sp + 1, n))
			return AS_MSG_NONE;
		if (sp + 10 <= n && w->b[(sp + 9) & AS_WMASK] != '\r' && w->b[(sp + 9) & AS_WMASK] != '\n')
			return AS_MSG_NONE;
		if (sp + 10 > n && n < AS_PARTIAL_MAX) {
			s->more = 1; /* a short line cut before its end: wait for it */
			return AS_MSG_NONE;
		}
		s->path_len = sp - s->path_off;
		s->head_from = sp + 1;
	} else {
		/* The target runs past what we have: wait for the rest of a short
		 * line; take a long one as a request only for a standard method (a
		 * random token needs its version to be believed). */
		if (n < AS_PARTIAL_MAX) {
			s->more = 1;
			return AS_MSG_NONE;
		}
		if (s->method == AS_METHOD_OTHER || n <= s->path_off)
			return AS_MSG_NONE;
		s->path_len = n - s->path_off;
		s->head_from = n;
	}
	s->kind = AS_MSG_REQUEST;
	return AS_MSG_REQUEST;
}

#define AS_FIRST_BYTES 8 /* what as_could_start_http looks at */

/*
 * Could the first n bytes (at most AS_FIRST_BYTES) of a connection's traffic
 * start an HTTP/1 message? A look taken before a connection is tracked, so
 * that a binary protocol whose messages start with an uppercase letter
 * (PostgreSQL's 'Q', 'P', 'T', 'D', ...) is turned away at the cost of one
 * small copy, not a connection entry made and dropped on every message.
 * Never refuses what as_parse_start would take: "HTTP/", or a method token
 * (uppercase, '-', '_') followed by a space or not yet ended.
 */
AS_INLINE int as_could_start_http(const __u8 *b, __u32 n)
{
	__u32 i;

	if (!n || b[0] < 'A' || b[0] > 'Z')
		return 0;
	for (i = 1; i < AS_FIRST_BYTES; i++) {
		__u8 c;

		if (i >= n)
			break;
		c = b[i];
		if (c == ' ')
			return 1;
		if (c == '/')
			return i == 4 && b[0] == 'H' && b[1] == 'T' && b[2] == 'T' && b[3] == 'P';
		if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/*
 * Recognise a request line or a status line at the start of w[0..n).
 * Recognition is strict so that arbitrary bytes (TLS, HTTP/2, binary
 * protocols) are not taken for HTTP: a request needs an uppercase token, one
 * space, a target starting with '/', '*' or a scheme, and, unless the line is
 * longer than what we have, " HTTP/1.x" and the end of the line after it.
 * The rest of the start line, from s->head_from, is left to the head scan.
 */
AS_API int as_parse_start(const struct as_window *w, __u32 n, struct as_start *s)
{
	const __u8 *b;
	__u32 i, mlen = 0;

	if (!w || !s)
		return AS_MSG_NONE;
	b = w->b;
	__builtin_memset(s, 0, sizeof(*s));
	if (n > AS_WINDOW)
		n = AS_WINDOW;
	s->avail = n;
	if (n < 5) {
		s->more = 1; /* judged once more has come */
		return AS_MSG_NONE;
	}

	if (n < 8 && b[0] == 'H') {
		/* "HTTP/1." cut short: a status line may follow */
		__u32 j, ok = 1;

		for (j = 0; j < 7; j++)
			if (j < n && b[j] != ((0x002e312f50545448ULL >> (8 * j)) & 0xff))
				ok = 0;
		if (ok) {
			s->more = 1;
			return AS_MSG_NONE;
		}
	}
	if (as_is_version(w, 0, n)) {
		if (n < 12) {
			s->more = n < 9 || b[8] == ' ';
			return AS_MSG_NONE;
		}
		if (b[8] != ' ')
			return AS_MSG_NONE;
		if (b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' || b[11] < '0' ||
		    b[11] > '9')
			return AS_MSG_NONE;
		if (n > 12 && b[12] != ' ' && b[12] != '\r' && b[12] != '\n')
			return AS_MSG_NONE;
		s->status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
		s->head_from = 12; /* the head scan skips the reason phrase */
		s->kind = AS_MSG_RESPONSE;
		return AS_MSG_RESPONSE;
	}

	for (i = 0; i <= AS_MAX_METHOD_LEN; i++) {
		__u8 c;

		if (i >= n) {
			s->more = 1; /* a method cut short */
			return AS_MSG_NONE;
		}
		c = b[i];
		if (c == ' ')
			break;
		/* a method starts with a letter, as as_could_start_http wants */
		if (!((c >= 'A' && c <= 'Z') || (i && (c == '-' || c == '_'))))
			return AS_MSG_NONE;
		mlen++;
	}
	if (mlen == 0 || mlen > AS_MAX_METHOD_LEN)
		return AS_MSG_NONE;
	if (mlen + 1 >= n) {
		s->more = 1; /* the method and its space, the target to come */
		return AS_MSG_NONE;
	}
	{
		__u8 t = b[(mlen + 1) & AS_WMASK];

		if (t != '/' && t != '*' && !(t >= 'a' && t <= 'z'))
			return AS_MSG_NONE;
	}
	s->method = as_method_from_token(b, mlen);
	s->path_off = mlen + 1;
	if (as_scan_target(w, s) < 0)
		return AS_MSG_NONE;
	return as_finish_request(w, s);
}

/* Put p's bytes in front of the n bytes in w; returns the new length. The
 * shift goes through AS_LOOP: a plain loop of this length would cost the
 * verifier more than the whole parser. */
struct as_shift_ctx {
	struct as_window *w;
	__u32 n;
	__u32 plen;
};

static long as_shift_step(__u64 k, void *vctx)
{
	struct as_shift_ctx *x = (struct as_shift_ctx *)vctx;
	__u32 i;

	if (k >= x->n)
		return 1;
	i = x->n - 1 - (__u32)k; /* from the end: the ranges overlap */
	x->w->b[(i + x->plen) & AS_WMASK] = x->w->b[i & AS_WMASK];
	return 0;
}

AS_API int as_prepend(struct as_window *w, __u32 n, const struct as_partial *p)
{
	struct as_shift_ctx x;
	__u32 plen;

	if (!w || !p)
		return 0;
	plen = p->len;
	if (plen > AS_PARTIAL_MAX)
		plen = AS_PARTIAL_MAX;
	if (n > AS_WINDOW - plen)
		n = AS_WINDOW - plen;
	x.w = w;
	x.n = n;
	x.plen = plen;
	AS_LOOP(AS_WINDOW, as_shift_step, &x);
	plen = as_mask(plen, 2 * AS_PARTIAL_MAX - 1);
	if (plen && plen <= AS_PARTIAL_MAX)
		AS_COPY(w->b, plen, p->b);
	return plen + n;
}

AS_INLINE void as_head_reset(struct as_head_scan *h)
{
	__builtin_memset(h, 0, sizeof(*h));
}


/*
 * Header capture. A value is copied byte by byte through as_cap_byte(), from
 * whole lines (as_cap_line) and from lines cut between buffers (the byte
 * machine) alike, so both give the same value: leading and trailing blanks
 * dropped, a repeated header appended after ", " (RFC 9110 5.3), bytes past
 * value_max dropped and the value marked truncated. Folded continuation lines
 * (obs-fold) start with a blank, so they never match a name and are ignored.
 */
AS_INLINE int as_is_blank(__u8 c)
{
	return c == ' ' || c == '\t' || c == '\r';
}


/* A captured header's name ended (':'): its value follows. Inline: the
 * verifier allows 8 nested calls, and this one is deep. */
AS_INLINE int as_cap_begin(struct as_hdr_vals *cap, __u32 dir, __u32 k)
{
	__u32 bit, len;

	if (!cap || k >= AS_MAX_HDRS || dir > 1)
		return 0;
	bit = 1u << k;
	cap->cur = AS_CAP_NONE;
	if (AS_CAPTURE_CFG.hdr[dir][k].flags & AS_HDR_PRESENCE_ONLY) {
		cap->present |= bit; /* the secret's bytes are never copied */
		return 0;
	}
	cap->lead = 1;
	if (!(cap->present & bit)) {
		cap->present |= bit;
		cap->len[k] = 0;
		cap->wlen = 0;
		cap->cur = k;
		return 0;
	}
	/* a repeated header: append ", " and the new value */
	len = cap->len[k];
	if (len + 2 >= AS_CAPTURE_CFG.value_max || len + 2 >= AS_HDR_VAL_MAX) {
		cap->truncated |= bit;
		return 0;
	}
	cap->val[k][as_mask(len, AS_HDR_VAL_MAX - 1)] = ',';
	cap->val[k][as_mask(len + 1, AS_HDR_VAL_MAX - 1)] = ' ';
	cap->wlen = len + 2;
	cap->cur = k;
	return 0;
}

/* One byte of the value being captured (never the LF that ends it). */
AS_API int as_cap_byte(struct as_hdr_vals *cap, __u32 ch)
{
	__u32 k, w;
	__u8 c = ch;

	if (!cap)
		return 0;
	k = cap->cur;
	if (k >= AS_MAX_HDRS)
		return 0;
	if (as_is_blank(c) && cap->lead)
		return 0;
	w = cap->wlen;
	if (w >= AS_CAPTURE_CFG.value_max || w >= AS_HDR_VAL_MAX) {
		if (!as_is_blank(c))
			cap->truncated |= 1u << k;
		return 0;
	}
	cap->val[as_mask(k, AS_MAX_HDRS - 1)][as_mask(w, AS_HDR_VAL_MAX - 1)] = c;
	cap->wlen = w + 1;
	if (!as_is_blank(c)) {
		cap->lead = 0;
		cap->len[as_mask(k, AS_MAX_HDRS - 1)] = w + 1; /* trailing blanks are not kept */
	}
	return 0;
}

/* Is w[p..p+len) (any case) the name of captured header k of list dir? */
AS_API int as_name_eq(const struct as_window *w, __u32 p, __u32 dir, __u32 k, __u32 len)
{
	__u32 j;

	if (!w || dir > 1 || k >= AS_MAX_HDRS)
		return 0;
	for (j = 0; j < AS_HDR_NAME_MAX; j++) {
		if (j >= len)
			return 1;
		if (as_lower(w->b[as_mask(p + j, AS_WMASK)]) != (__u8)AS_CAPTURE_CFG.hdr[dir][k].name[j])
			return 0;
	}
	return 0;
}


/* The value w[from..to) of the header being captured, its blanks already
 * trimmed: appended in one copy, cut at value_max. */
AS_API int as_cap_append(struct as_hdr_vals *cap, const struct as_window *w, __u32 from, __u32 to)
{
	__u32 k, wl, n, room;

	if (!cap || !w)
		return 0;
	k = cap->cur;
	if (k >= AS_MAX_HDRS || to <= from || to > AS_WINDOW)
		return 0;
	wl = cap->wlen;
	room = AS_CAPTURE_CFG.value_max < AS_HDR_VAL_MAX ? AS_CAPTURE_CFG.value_max : AS_HDR_VAL_MAX;
	if (wl >= room) {
		cap->truncated |= 1u << k;
		return 0;
	}
	room -= wl;
	n = to - from;
	if (n > room) {
		n = room;
		cap->truncated |= 1u << k;
	}
	k = as_mask(k, AS_MAX_HDRS - 1);
	wl = as_mask(wl, AS_HDR_VAL_MAX - 1);
	n = as_mask(n, 2 * AS_HDR_VAL_MAX - 1);
	if (n > AS_HDR_VAL_MAX)
		return 0;
	AS_COPY(&cap->val[k][wl], n, &w->b[as_mask(from, AS_WMASK)]);
	cap->wlen = wl + n;
	cap->len[k] = wl + n;
	cap->lead = 0;
	return 0;
}

/*
 * A whole header line w[p..e) (e is its LF): if its name is one to capture,
 * copy its value. The first byte was already matched against first_chars.
 */
AS_API int as_cap_line(const struct as_head_scan *h, const struct as_window *w, __u32 p, __u32 e,
		       struct as_hdr_vals *cap)
{
	__u32 dir, k, len = 0, from, to, j;

	if (!h || !w || !cap || e > AS_WINDOW)
		return 0;
	dir = h->cdir & 1;
	for (k = 0; k < AS_MAX_HDRS; k++) {
		if (k >= AS_CAPTURE_CFG.n[dir])
			return 0;
		len = AS_CAPTURE_CFG.hdr[dir][k].len;
		if (len && p + len < e && w->b[as_mask(p + len, AS_WMASK)] == ':' && as_name_eq(w, p, dir, k, len))
			break;
	}
	if (k >= AS_MAX_HDRS)
		return 0;
	as_cap_begin(cap, dir, k);
	if (cap->cur == AS_CAP_NONE)
		return 0;
	/* trim: blanks before the value, blanks and the CR after it */
	from = p + len + 1;
	to = e;
	for (j = 0; j < AS_WINDOW; j++) {
		if (from >= to || !as_is_blank(w->b[as_mask(from, AS_WMASK)]))
			break;
		from++;
	}
	for (j = 0; j < AS_WINDOW; j++) {
		if (to <= from || !as_is_blank(w->b[as_mask(to - 1, AS_WMASK)]))
			break;
		to--;
	}
	as_cap_append(cap, w, from, to);
	cap->cur = AS_CAP_NONE;
	return 0;
}

/* Copy the request target w[off..off+len) for the access log; the query is
 * cut unless include_query (its secrets then never leave the kernel). */
AS_API int as_cap_path(struct as_hdr_vals *cap, const struct as_window *w, __u32 off, __u32 len)
{
	__u32 j, n;

	if (!cap || !w)
		return 0;
	cap->path_len = 0;
	cap->path_trunc = 0;
	if (off >= AS_WINDOW)
		return 0;
	if (len > AS_WINDOW - off)
		len = AS_WINDOW - off;
	n = len;
	for (j = 0; j < AS_WINDOW; j++) {
		__u8 c;

		if (j >= len)
			break;
		c = w->b[as_mask(off + j, AS_WMASK)];
		if ((c == '?' && !AS_CAPTURE_CFG.include_query) || c == '#') {
			n = j;
			break;
		}
	}
	if (n > AS_PATH_MAX) {
		n = AS_PATH_MAX;
		cap->path_trunc = 1;
	}
	n = as_mask(n, 2 * AS_PATH_MAX - 1);
	if (!n || n > AS_PATH_MAX)
		return 0;
	AS_COPY(cap->path, n, &w->b[as_mask(off, AS_WMASK)]);
	cap->path_len = n;
	return 0;
}

/*
 * The header names the framing depends on, lowercase, packed eight bytes to a
 * word: static const arrays would land in .rodata, which clang 14 emits with
 * BTF offsets the kernel rejects.
 */
#define AS_CL_LEN 14  /* content-length */
#define AS_TE_LEN 17  /* transfer-encoding */
#define AS_CHUNKED_LEN 7

AS_INLINE __u8 as_word_char(__u64 w0, __u64 w1, __u64 w2, __u32 i)
{
	__u64 w = i < 8 ? w0 : (i < 16 ? w1 : w2);

	return (w >> ((i & 7) * 8)) & 0xff;
}

AS_INLINE __u8 as_cl_char(__u32 i)
{
	return as_word_char(0x2d746e65746e6f63ULL, 0x00006874676e656cULL, 0, i);
}

AS_INLINE __u8 as_te_char(__u32 i)
{
	return as_word_char(0x726566736e617274ULL, 0x6e69646f636e652dULL, 0x0000000000000067ULL, i);
}

AS_INLINE __u8 as_chunked_char(__u32 i)
{
	return as_word_char(0x0064656b6e756863ULL, 0, 0, i);
}

/* The byte machine reads a name: drop the captured headers it cannot be. */
AS_API int as_cap_name_byte(struct as_head_scan *h, __u32 lc)
{
	__u32 k, dir, pos;

	if (!h)
		return 0;
	dir = h->cdir & 1;
	pos = h->name_pos;
	for (k = 0; k < AS_MAX_HDRS; k++) {
		if (!(h->ccand & (1u << k)))
			continue;
		if (pos >= AS_CAPTURE_CFG.hdr[dir][k].len ||
		    (__u8)lc != (__u8)AS_CAPTURE_CFG.hdr[dir][k].name[as_mask(pos, AS_HDR_NAME_MAX - 1)])
			h->ccand &= ~(1u << k);
	}
	return 0;
}

/* The byte machine found the ':' of a name that may be captured. */
AS_API int as_cap_name_end(struct as_head_scan *h, struct as_hdr_vals *cap)
{
	__u32 k, dir;

	if (!h || !cap)
		return 0;
	dir = h->cdir & 1;
	for (k = 0; k < AS_MAX_HDRS; k++) {
		if ((h->ccand & (1u << k)) && h->name_pos == AS_CAPTURE_CFG.hdr[dir][k].len) {
			as_cap_begin(cap, dir, k);
			return cap->cur != AS_CAP_NONE;
		}
	}
	return 0;
}

/* One byte of a head. Returns 1 when it ends the head. A global function of
 * its own: the verifier checks the state machine once, and the byte loop
 * below carries no state in registers. cap, if not NULL, receives the values
 * of captured headers. */
AS_API int as_head_byte(struct as_head_scan *h, __u32 ch, struct as_hdr_vals *cap)
{
	__u8 c = ch, lc = as_lower(c);

	if (!h)
		return 0;
	switch (h->state) {
	case AS_HS_LINE_START:
		if (c == '\r') {
			h->state = AS_HS_EMPTY_CR;
			break;
		}
		if (c == '\n')
			return 1;
		h->state = AS_HS_NAME;
		h->name_pos = 0;
		h->cand = 3;
		h->ccand = cap ? (1u << AS_CAPTURE_CFG.n[h->cdir & 1]) - 1 : 0;
		/* fall through */
	case AS_HS_NAME:
		if (c == ':') {
			if (h->ccand && as_cap_name_end(h, cap)) {
				h->state = AS_HS_VALUE_CAP;
			} else if ((h->cand & 1) && h->name_pos == AS_CL_LEN) {
				if (h->flags & AS_HF_HAS_CL)
					h->flags |= AS_HF_BAD_CL; /* duplicates: RFC 9112 6.3 */
				h->flags |= AS_HF_HAS_CL;
				h->content_length = 0;
				h->cl_digits = 0;
				h->state = AS_HS_VALUE_CL;
			} else if ((h->cand & 2) && h->name_pos == AS_TE_LEN) {
				h->te_match = 0;
				h->state = AS_HS_VALUE_TE;
			} else {
				h->state = AS_HS_SKIP;
			}
			break;
		}
		if (c == '\n') {
			h->state = AS_HS_LINE_START;
			break;
		}
		if (h->name_pos >= AS_CL_LEN || lc != as_cl_char(h->name_pos))
			h->cand &= ~1;
		if (h->name_pos >= AS_TE_LEN || lc != as_te_char(h->name_pos))
			h->cand &= ~2;
		if (h->ccand)
			as_cap_name_byte(h, lc);
		if (!h->cand && !h->ccand)
			h->state = AS_HS_SKIP;
		h->name_pos++;
		break;
	case AS_HS_VALUE_CAP:
		if (c == '\n') {
			if (cap)
				cap->cur = AS_CAP_NONE;
			h->state = AS_HS_LINE_START;
			break;
		}
		as_cap_byte(cap, c);
		break;
	case AS_HS_EMPTY_CR:
		if (c == '\n')
			return 1;
		h->state = AS_HS_SKIP;
		break;
	case AS_HS_VALUE_CL:
		if (c >= '0' && c <= '9') {
			if (h->cl_digits >= 18)
				h->flags |= AS_HF_BAD_CL;
			h->content_length = h->content_length * 10 + (c - '0');
			h->cl_digits++;
		} else if (c == '\n') {
			if (!h->cl_digits)
				h->flags |= AS_HF_BAD_CL;
			h->state = AS_HS_LINE_START;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			h->flags |= AS_HF_BAD_CL;
		}
		break;
	case AS_HS_VALUE_TE:
		if (c == '\n') {
			h->state = AS_HS_LINE_START;
			break;
		}
		if (lc == as_chunked_char(h->te_match)) {
			h->te_match++;
			if (h->te_match == AS_CHUNKED_LEN) {
				h->flags |= AS_HF_CHUNKED;
				h->te_match = 0;
			}
		} else {
			h->te_match = lc == 'c';
		}
		break;
	default:
		if (c == '\n')
			h->state = AS_HS_LINE_START;
		break;
	}
	return 0;
}

/* Byte-by-byte scan: for heads split in the middle of a line. */
struct as_head_ctx {
	struct as_head_scan *h;
	const struct as_window *w;
	struct as_hdr_vals *cap;
	__u32 n;
	int end; /* offset past the head, or -1 */
};

static long as_head_step(__u64 k, void *vctx)
{
	struct as_head_ctx *x = (struct as_head_ctx *)vctx;
	struct as_head_scan *h = x->h;
	__u32 i = h->pos;

	if (i >= x->n || i >= AS_WINDOW)
		return 1;
	h->pos = i + 1;
	if (as_head_byte(h, x->w->b[i & AS_WMASK], x->cap)) {
		x->end = i + 1;
		return 1;
	}
	return 0;
}

AS_API int as_scan_head_bytes(struct as_head_scan *h, const struct as_window *w, __u32 start,
			      __u32 n, struct as_hdr_vals *cap)
{
	struct as_head_ctx x;

	if (!h || !w)
		return -1;
	x.h = h;
	x.w = w;
	x.cap = cap;
	x.n = n > AS_WINDOW ? AS_WINDOW : n;
	x.end = -1;
	h->pos = start;
	AS_LOOP(AS_WINDOW, as_head_step, &x);
	return x.end;
}

/*
 * The fast head scan: one pass over aligned words finds every line end; a
 * line is looked at only when its name could be Content-Length or
 * Transfer-Encoding. struct as_lines is where the scan is; the window and
 * the scanner state go to global functions as arguments, since a global
 * function cannot take pointers out of memory.
 */
struct as_lines {
	__u32 line_start; /* start of the line being scanned */
	int end;          /* offset past the head, or -1 */
	__u32 skip;       /* the first line end found ends a line to skip */
	__u32 base;       /* offset of the word being looked at */
	__u64 m;          /* its line ends */
};

#define AS_LC8(a, b, c, d, e, f, g, h)                                                     \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 |               \
	 (__u64)(e) << 32 | (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define AS_FOLD 0x2020202020202020ULL /* lowercases letters; '-' and ':' already have it */

/* The value of a Content-Length line, w[p..e): digits between blanks. The
 * running value lives in *h, not in registers, for the verifier's sake. */
AS_INLINE void as_content_length(struct as_head_scan *h, const struct as_window *w, __u32 p, __u32 e)
{
	__u32 j;

	if (h->flags & AS_HF_HAS_CL)
		h->flags |= AS_HF_BAD_CL; /* duplicates: RFC 9112 6.3 */
	h->flags |= AS_HF_HAS_CL;
	h->content_length = 0;
	h->cl_digits = 0;
	h->te_match = 0; /* borrowed below: a blank came after the digits */
	for (j = 0; j < 40; j++) {
		__u8 c;

		if (p + j >= e)
			break;
		c = as_byte(w, p + j);
		if (c >= '0' && c <= '9') {
			if (h->cl_digits >= 18 || h->te_match)
				h->flags |= AS_HF_BAD_CL;
			h->content_length = h->content_length * 10 + (c - '0');
			h->cl_digits++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			h->te_match = h->cl_digits > 0;
		} else {
			h->flags |= AS_HF_BAD_CL;
		}
	}
	if (!h->cl_digits || p + 40 < e)
		h->flags |= AS_HF_BAD_CL;
	h->te_match = 0;
}

/* A complete line w[p..e), e being its LF. Returns 1 if it is the blank line.
 * A global function: the verifier checks it once. */
AS_API int as_head_line(struct as_head_scan *h, const struct as_window *w, __u32 p, __u32 e,
			struct as_hdr_vals *cap)
{
	__u32 j;
	__u8 c;

	if (!h || !w)
		return 0;
	c = as_byte(w, p) | 0x20;
	if (e == p || (e == p + 1 && as_byte(w, p) == '\r'))
		return 1;
	if (c == 'c' && p + 15 <= e && p <= AS_WINDOW - 16 &&
	    (as_load64(w, p) | AS_FOLD) == AS_LC8('c', 'o', 'n', 't', 'e', 'n', 't', '-') &&
	    (as_load64(w, p + 7) | AS_FOLD) == AS_LC8('-', 'l', 'e', 'n', 'g', 't', 'h', ':')) {
		as_content_length(h, w, p + 15, e);
		return 0;
	}
	if (c == 't' && p + 18 <= e && p <= AS_WINDOW - 18 &&
	    (as_load64(w, p) | AS_FOLD) == AS_LC8('t', 'r', 'a', 'n', 's', 'f', 'e', 'r') &&
	    (as_load64(w, p + 8) | AS_FOLD) == AS_LC8('-', 'e', 'n', 'c', 'o', 'd', 'i', 'n') &&
	    (as_load64(w, p + 10) | AS_FOLD) == AS_LC8('n', 'c', 'o', 'd', 'i', 'n', 'g', ':'))
		goto framing;
	if (cap)
		as_cap_line(h, w, p, e, cap);
	return 0;
framing:
	/* a line the framing depends on: the byte machine reads it, so that whole
	 * lines and lines split across buffers get the same rules */
	h->state = AS_HS_LINE_START;
	for (j = 0; j < 64; j++) {
		if (p + j > e)
			break;
		as_head_byte(h, as_byte(w, p + j), 0);
	}
	if (h->state != AS_HS_LINE_START) { /* a value too long to be real */
		if (h->state == AS_HS_VALUE_CL)
			h->flags |= AS_HF_BAD_CL;
		h->state = AS_HS_LINE_START;
	}
	return 0;
}

/* Every line end flagged in x->m (the word at x->base): returns 1 once the
 * blank line that ends the head is found (x->end). Only lines that start like
 * a blank line, Content-Length, Transfer-Encoding or a captured header are
 * looked at. */
AS_API int as_lines_in_word(struct as_head_scan *h, const struct as_window *w, struct as_lines *x,
			    struct as_hdr_vals *cap)
{
	__u64 m, first = 0;
	__u32 j;

	if (!h || !w || !x)
		return 0;
	m = x->m;
	if (cap)
		first = AS_CAPTURE_CFG.first_chars[h->cdir & 1];
	for (j = 0; j < 8 && m; j++) {
		__u32 lf = x->base + as_lowest_byte(m);
		__u8 c = as_byte(w, x->line_start);

		m &= m - 1;
		if (x->skip) {
			x->skip = 0;
		} else if ((c == '\r' || c == '\n' || (c | 0x20) == 'c' || (c | 0x20) == 't' ||
			    ((first >> ((c | 0x20) & 63)) & 1)) &&
			   as_head_line(h, w, x->line_start, lf, cap)) {
			x->end = lf + 1;
			return 1;
		}
		x->line_start = lf + 1;
	}
	return 0;
}

/*
 * Feed w[start..n) to the header scanner. Returns the offset just past the
 * blank line that ends the head, or -1 if the head goes on past n. Only
 * Content-Length, Transfer-Encoding and the headers captured into cap (if not
 * NULL) are looked at. A head split between
 * buffers anywhere, even inside a line, is read right: a line cut at the end
 * of a buffer, and the one it continues in the next, go through the byte
 * machine, whose state is carried.
 */
AS_API int as_scan_head(struct as_head_scan *h, const struct as_window *w, __u32 start, __u32 n,
			struct as_hdr_vals *cap)
{
	struct as_lines x;
	AS_ITER it;
	__u32 idx0, nw;
	int *v, done = 0;

	if (!h || !w)
		return -1;
	if (n > AS_WINDOW)
		n = AS_WINDOW;
	/* inside a header line cut at the end of the last buffer: the byte machine */
	if (h->state != AS_HS_LINE_START && h->state != AS_HS_SKIP)
		return as_scan_head_bytes(h, w, start, n, cap);
	if (start >= n)
		return -1;
	x.line_start = start;
	x.end = -1;
	x.skip = h->state == AS_HS_SKIP; /* the rest of a line we do not read */
	/* a loop over aligned words: the work per word is small, and line ends
	 * go to a global function */
	idx0 = start / 8;
	nw = (n + 7) / 8;
	/* four words per iterator step: most words hold no line end, and the
	 * iterator call costs more than the test of one */
	AS_ITER_NEW(&it, idx0 / 4, (nw + 3) / 4);
	while ((v = AS_ITER_NEXT(&it))) {
		__u32 q = *v, j;

		if (q >= AS_WINDOW / 32)
			break;
#ifdef __clang__
#pragma unroll
#endif
		for (j = 0; j < 4; j++) {
			__u32 idx = q * 4 + j, base = idx * 8;
			__u64 m;

			if (idx < idx0 || idx >= nw)
				continue;
			m = as_bytes_eq(as_word(w, idx), '\n');
			if (idx == idx0)
				m &= ~as_low_bytes(start & 7);
			if (n - base < 8)
				m &= as_low_bytes(n - base);
			if (!m)
				continue;
			x.m = m;
			x.base = base;
			if (as_lines_in_word(h, w, &x, cap)) {
				done = 1;
				break;
			}
		}
		if (done)
			break;
	}
	AS_ITER_DESTROY(&it);
	if (done)
		return x.end;
	if (x.skip)
		return -1; /* still in the line to skip: h->state stays AS_HS_SKIP */
	h->state = AS_HS_LINE_START;
	if (x.line_start >= n)
		return -1;
	return as_scan_head_bytes(h, w, x.line_start, n, cap); /* a line cut at n */
}

/* Classes of a target's bytes for route normalisation: one table load per
 * byte instead of a dozen comparisons (unit-tested against their definitions). */
enum as_url_class_bits {
	AS_UC_DIGIT = 1,    /* 0-9 */
	AS_UC_HEX = 2,      /* 0-9 a-f A-F */
	AS_UC_B64 = 4,      /* base64 and base64url: 0-9 a-z A-Z - _ + = */
	AS_UC_ALPHA = 8,    /* a-z A-Z */
	AS_UC_DASH = 16,    /* '-' */
	AS_UC_SLASH = 32,   /* '/' */
	AS_UC_END = 64,     /* '?' '#': the path ends */
	AS_UC_HEXDASH = 128, /* hex or '-' (UUIDs) */
};

static const __u8 as_url_class[128] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x94, 0x00, 0x20,
	0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x87, 0x00, 0x00, 0x00, 0x04, 0x00, 0x40,
	0x00, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
	0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x04,
	0x00, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x8e, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
	0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
};

AS_INLINE __u8 as_url_class_of(__u8 c)
{
	return c < 128 ? as_url_class[c & 127] : 0;
}

/* Route normalisation state, kept in memory between steps. The current
 * segment is r->text[start..o); and_cls and or_cls fold its bytes' classes. */
struct as_norm {
	__u32 o;     /* output length so far */
	__u32 start; /* where the current segment begins in the output */
	__u8 and_cls, or_cls, dashes, pad;
	__u32 slashes; /* absolute-form: slashes before the path */
};

AS_INLINE void as_seg_begin(struct as_norm *g, __u32 start)
{
	g->start = start;
	g->and_cls = 0xff;
	g->or_cls = 0;
	g->dashes = 0;
}

/* numbers, UUIDs, hex of 16+ chars, base64/base64url tokens of 20+ with a digit */
AS_INLINE int as_seg_is_id(const struct as_norm *g, const struct as_route *r)
{
	__u32 len = g->o - g->start, s = g->start;
	__u8 all = g->and_cls, any = g->or_cls;

	if (!len)
		return 0;
	if (all & AS_UC_DIGIT)
		return 1;
	if (len == 36 && (all & AS_UC_HEXDASH) && g->dashes == 4 &&
	    r->text[(s + 8) & (AS_ROUTE_LEN - 1)] == '-' && r->text[(s + 13) & (AS_ROUTE_LEN - 1)] == '-' &&
	    r->text[(s + 18) & (AS_ROUTE_LEN - 1)] == '-' && r->text[(s + 23) & (AS_ROUTE_LEN - 1)] == '-')
		return 1;
	if (len >= 16 && (all & AS_UC_HEX) && (any & AS_UC_DIGIT))
		return 1;
	return len >= 20 && (all & AS_UC_B64) && (any & AS_UC_DIGIT) && (any & AS_UC_ALPHA);
}

/* The current segment ended: replace it by {id} if it is one. */
AS_INLINE void as_seg_end(struct as_norm *g, struct as_route *r)
{
	__u32 o = g->start;

	if (!as_seg_is_id(g, r) || o + 4 >= AS_ROUTE_LEN)
		return;
	r->text[o & (AS_ROUTE_LEN - 1)] = '{';
	r->text[(o + 1) & (AS_ROUTE_LEN - 1)] = 'i';
	r->text[(o + 2) & (AS_ROUTE_LEN - 1)] = 'd';
	r->text[(o + 3) & (AS_ROUTE_LEN - 1)] = '}';
	g->o = o + 4;
}

AS_API int as_route_finish(struct as_route *r, struct as_norm *g)
{
	__u32 o;

	if (!r || !g)
		return 0;
	as_seg_end(g, r);
	o = g->o;
	if (o == 0) {
		r->text[0] = '/';
		o = 1;
	}
	if (o > AS_ROUTE_LEN - 1)
		o = AS_ROUTE_LEN - 1;
	r->text[o & (AS_ROUTE_LEN - 1)] = 0;
	g->o = o;
	return o;
}

struct as_norm_ctx {
	const struct as_window *w;
	struct as_route *r;
	struct as_norm *g;
	__u32 off;
	__u32 end;
};

/* A '/' after the segment g holds: end it, write the slash, start the next.
 * Returns 1 if the route is full. Out of line: the step below is unrolled. */
AS_API int as_norm_slash(struct as_norm *g, struct as_route *r)
{
	__u32 o;

	if (!g || !r)
		return 1;
	as_seg_end(g, r);
	o = g->o;
	if (o >= AS_ROUTE_LEN - 1)
		return 1;
	r->text[o & (AS_ROUTE_LEN - 1)] = '/';
	g->o = o + 1;
	as_seg_begin(g, o + 1);
	return 0;
}

#define AS_NORM_STEP 8 /* bytes per loop step: the loop's call costs more than a byte */

/* The next AS_NORM_STEP bytes of the path; returns 1 to stop. A segment's
 * classes stay in registers between its slashes. */
static long as_norm_step(__u64 k, void *vctx)
{
	struct as_norm_ctx *x = (struct as_norm_ctx *)vctx;
	struct as_norm *g = x->g;
	struct as_route *r = x->r;
	__u32 i = x->off + (__u32)k * AS_NORM_STEP, o = g->o, j;
	__u8 all = g->and_cls, any = g->or_cls, dashes = g->dashes;
	long stop = 0;

#ifdef __clang__
#pragma unroll
#endif
	for (j = 0; j < AS_NORM_STEP; j++) {
		__u8 c, cls;

		if (i + j >= x->end || o >= AS_ROUTE_LEN - 1) {
			stop = 1;
			break;
		}
		c = x->w->b[(i + j) & AS_WMASK];
		cls = as_url_class_of(c);
		if (cls & (AS_UC_END | AS_UC_SLASH)) {
			g->o = o;
			g->and_cls = all;
			g->or_cls = any;
			g->dashes = dashes;
			if ((cls & AS_UC_END) || as_norm_slash(g, r))
				return 1;
			o = g->o;
			all = 0xff;
			any = 0;
			dashes = 0;
			continue;
		}
		all &= cls;
		any |= cls;
		dashes += (cls & AS_UC_DASH) != 0;
		r->text[o & (AS_ROUTE_LEN - 1)] = c;
		o++;
	}
	g->o = o;
	g->and_cls = all;
	g->or_cls = any;
	g->dashes = dashes;
	return stop;
}

/* Absolute-form: the path starts at the third '/' ("scheme://host/"). */
static long as_norm_skip_step(__u64 k, void *vctx)
{
	struct as_norm_ctx *x = (struct as_norm_ctx *)vctx;
	__u32 i = x->off + (__u32)k;

	if (i >= x->end)
		return 1;
	if (x->w->b[i & AS_WMASK] == '/' && ++x->g->slashes == 3) {
		x->off = i;
		return 1;
	}
	return 0;
}

/*
 * Normalise the request target w[off..off+len) into r: drop scheme and
 * authority of an absolute URI, the query and the fragment, and replace
 * id-like segments by {id}. Returns the text length (NUL-terminated, at most
 * AS_ROUTE_LEN - 1; longer routes are cut). g is working memory.
 */
AS_API int as_normalize_route(const struct as_window *w, __u32 off, __u32 len,
			      struct as_route *r, struct as_norm *g)
{
	struct as_norm_ctx x;

	if (!w || !r || !g)
		return 0;
	__builtin_memset(r, 0, sizeof(*r));
	__builtin_memset(g, 0, sizeof(*g));
	x.w = w;
	x.r = r;
	x.g = g;
	x.off = off;
	if (len > AS_WINDOW)
		len = AS_WINDOW;
	x.end = off + len;
	if (x.end > AS_WINDOW)
		x.end = AS_WINDOW;
	as_seg_begin(g, 0);
	/* origin-form and '*' start at once; absolute-form after "scheme://host" */
	if (off >= x.end || (w->b[off & AS_WMASK] != '/' && w->b[off & AS_WMASK] != '*')) {
		struct as_norm_ctx y = x;

		AS_LOOP(AS_WINDOW, as_norm_skip_step, &y);
		x.off = g->slashes == 3 ? y.off : x.end;
	}
	AS_LOOP(AS_WINDOW / AS_NORM_STEP, as_norm_step, &x);
	return as_route_finish(r, g);
}

/* A hash of the route text, up to its NUL, a word at a time (the exporter
 * computes the same for the routes it names); ids below 16 are reserved
 * (AS_ROUTE_ID_*). */
AS_API __u64 as_route_hash(const struct as_route *r)
{
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 i;

	if (!r)
		return 0;
	for (i = 0; i < AS_ROUTE_LEN / 8; i++) {
		__u64 v = r->q[i], z = as_bytes_eq(v, 0);

		if (z) /* the NUL: bytes after it may be left from a longer route */
			v &= as_low_bytes(as_lowest_byte(z));
		h = (h ^ v) * 0x100000001b3ULL;
		h ^= h >> 29;
		if (z)
			break;
	}
	return h < 16 ? h + 16 : h;
}

#endif
