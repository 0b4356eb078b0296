/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every parser header stands on: how a function is compiled in BPF and
 * in user space, the loops the verifier can check, the window of bytes a
 * parser reads, and word-at-a-time byte tests. Pure C with no libc and no BPF
 * helpers but the copy: the BPF programs, the Catch2 tests and the fuzzers
 * all compile it.
 *
 * In BPF the entry points are global functions (AS_API): the verifier checks
 * each once on its own instead of once per call site, which keeps the byte
 * loops well inside its limits.
 */
#ifndef APISCOPE_PARSE_BASE_H
#define APISCOPE_PARSE_BASE_H

#include "apiscope_shared.h"

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

/* Copy n bytes of the program's own memory (the window, a map value): one
 * helper call in the kernel, where a byte loop would cost a few ns per byte.
 * 0 on success. */
#ifdef __bpf__
#define AS_COPY(dst, n, src) bpf_probe_read_kernel((dst), (n), (src))
#else
#define AS_COPY(dst, n, src) (__builtin_memcpy((dst), (src), (n)), 0)
#endif

#define AS_WINDOW 512 /* bytes of one buffer copied and parsed at a time */
#define AS_WMASK (AS_WINDOW - 1)

struct as_window {
	union {
		__u8 b[AS_WINDOW];
		__u64 q[AS_WINDOW / 8]; /* aligned words for the scans that go a word at a time */
	};
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


AS_INLINE __u32 as_min(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

#endif
