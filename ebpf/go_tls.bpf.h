/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTPS in Go programs: uprobes on crypto/tls.(*Conn).Read and Write hand
 * the plaintext to the same parser as the syscall path. Go 1.17+ on x86-64
 * (the register ABI): arguments and results are in registers, the running
 * goroutine's g in r14.
 *
 * Go moves goroutine stacks, which return probes break: the result is read
 * by uprobes on each RET instruction of the two functions (the exporter
 * finds them by disassembling the functions). Calls are keyed by goroutine:
 * one that waits on the network may resume on another thread. The socket is
 * the one a read or write syscall of the same goroutine names during the
 * call, or during the connection's handshake (as_go_learn_fd, from the
 * syscall path), remembered per *tls.Conn for calls that make none (a Read
 * served from bytes the handshake already read).
 */
#ifndef APISCOPE_GO_TLS_BPF_H
#define APISCOPE_GO_TLS_BPF_H

#include "conn_life.bpf.h"

/* func (c *Conn) Read(b []byte) (int, error): c in rax, b's pointer and
 * length in rbx and rcx; handshakeContext(ctx) has c in rax too. */
static __always_inline int as_go_enter(struct pt_regs *ctx, __u8 kind)
{
	struct as_go_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->r14};
	struct as_go_conn_key ck = {.tgid = k.tgid, .conn = ctx->ax};
	struct as_go_call call = {.conn = ctx->ax, .fd = -1, .kind = kind};
	__s32 *fd;

	if (!as_target_process(k.tgid))
		return 0;
	if (kind != AS_TLS_HANDSHAKE) {
		call.buf = ctx->bx;
		call.len = ctx->cx;
	}
	fd = bpf_map_lookup_elem(&go_conns, &ck);
	if (fd)
		call.fd = *fd;
	/* a stack growth runs the function again from its start: the same call;
	 * Read and Write call handshakeContext first, which leaves theirs be */
	bpf_map_update_elem(&go_calls, &k, &call, kind == AS_TLS_HANDSHAKE ? BPF_NOEXIST : BPF_ANY);
	if (!go_seen)
		go_seen = 1;
	return 0;
}

SEC("uprobe")
int go_tls_read_enter(struct pt_regs *ctx)
{
	return as_go_enter(ctx, AS_TLS_READ);
}

SEC("uprobe")
int go_tls_write_enter(struct pt_regs *ctx)
{
	return as_go_enter(ctx, AS_TLS_WRITE);
}

SEC("uprobe")
int go_tls_handshake_enter(struct pt_regs *ctx)
{
	return as_go_enter(ctx, AS_TLS_HANDSHAKE);
}

/* n plaintext bytes at buf, read (dir_in) or written on socket fd. */
static __always_inline void as_go_feed(__u32 tgid, __s32 fd, __u64 buf, __u64 n, __u32 dir_in)
{
	struct as_conn_key key = {.tgid = tgid, .fd = fd};
	struct as_conn *c = bpf_map_lookup_elem(&conns, &key);
	struct as_scratch *s;

	if (!c && !(c = as_conn_new(&key, buf, n)))
		return;
	c->tls = 1;
	if ((s = as_scratch_for(&key, dir_in)))
		as_feed_buf(&key, c, s, buf, n);
}

/*
 * A socket syscall of the goroutine on this thread returned: if it is inside
 * a crypto/tls call, that call's socket is fd. A Write's plaintext is fed
 * here, at its first socket write, not at its return: the peer's answer may
 * be read (by another goroutine) before the writer returns. Returns 1 for
 * such a call's ciphertext, which is not parsed.
 */
static __always_inline int as_go_learn_fd(__u32 tgid, __u64 g, __s32 fd, __u32 dir_in)
{
	struct as_go_key k = {.tgid = tgid, .g = g};
	struct as_go_call *call = bpf_map_lookup_elem(&go_calls, &k);
	struct as_go_conn_key ck = {.tgid = tgid};

	if (!call)
		return 0;
	if (call->fd != fd) {
		call->fd = fd;
		ck.conn = call->conn;
		bpf_map_update_elem(&go_conns, &ck, &fd, BPF_ANY);
	}
	if (call->kind == AS_TLS_WRITE && !dir_in && !call->fed && call->len) {
		call->fed = 1;
		as_go_feed(tgid, fd, call->buf, call->len, 0);
	}
	return 1;
}

/* On each RET of handshakeContext: a handshake of its own ends (one inside
 * a Read or Write is theirs). */
SEC("uprobe")
int go_tls_handshake_ret(struct pt_regs *ctx)
{
	struct as_go_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->r14};
	struct as_go_call *call = bpf_map_lookup_elem(&go_calls, &k);

	if (call && call->kind == AS_TLS_HANDSHAKE)
		bpf_map_delete_elem(&go_calls, &k);
	return 0;
}

/* On each RET of Read and Write: the result (n) is in rax. A Read's
 * plaintext is fed here, and a Write's that made no socket write. */
SEC("uprobe")
int go_tls_ret(struct pt_regs *ctx)
{
	struct as_go_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .g = ctx->r14};
	struct as_go_call *call = bpf_map_lookup_elem(&go_calls, &k);
	struct as_go_call done;
	long n = ctx->ax;

	if (!call)
		return 0;
	done = *call;
	bpf_map_delete_elem(&go_calls, &k);
	if (n <= 0 || done.kind == AS_TLS_HANDSHAKE || done.fed)
		return 0;
	if ((__u64)n > done.len)
		n = done.len;
	if (done.fd < 0) {
		as_count(AS_CNT_TLS_NO_FD);
		return 0;
	}
	as_go_feed(k.tgid, done.fd, done.buf, n, done.kind == AS_TLS_READ);
	return 0;
}

#endif
