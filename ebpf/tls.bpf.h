/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTPS: uprobes on OpenSSL's SSL_read, SSL_write, SSL_read_ex and
 * SSL_write_ex hand the plaintext to the same parser as the syscall path.
 *
 * The socket under an SSL object is learned from the socket syscall OpenSSL
 * makes inside the call (as_exit sees it while tls_kind is set). Libraries
 * that feed OpenSSL through memory BIOs (Node.js) make no syscall inside the
 * call: for them the socket this thread last read is taken, which is the one
 * an event loop just read the ciphertext from.
 */
#ifndef APISCOPE_TLS_BPF_H
#define APISCOPE_TLS_BPF_H

#include "conn_life.bpf.h"

/* The socket under the SSL object of the call in progress is fd. */
static __always_inline void as_tls_learn_fd(struct as_stash *st, __u32 tgid, __s32 fd)
{
	struct as_ssl_key k = {.ssl = st->tls_ssl, .tgid = tgid};

	if (st->tls_fd == fd)
		return;
	st->tls_fd = fd;
	bpf_map_update_elem(&ssl_fds, &k, &fd, BPF_ANY);
}

static __always_inline int as_tls_enter(__u64 ssl, __u64 buf, __u64 count, __u8 kind)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct as_ssl_key k = {.ssl = ssl, .tgid = tgid};
	struct as_stash *st;
	__s32 *fd;

	if (!as_target_process(tgid))
		return 0;
	st = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		return 0;
	fd = bpf_map_lookup_elem(&ssl_fds, &k);
	st->tls_fd = fd ? *fd : -1;
	st->tls_ssl = ssl;
	st->tls_buf = buf;
	st->tls_count = count;
	st->tls_kind = kind;
	return 0;
}

/* int SSL_read(SSL *s, void *buf, int num) and the others: arguments in
 * rdi, rsi, rdx, rcx (x86-64 SysV). */
SEC("uprobe")
int tls_read_enter(struct pt_regs *ctx)
{
	return as_tls_enter(ctx->di, ctx->si, 0, AS_TLS_READ);
}

SEC("uprobe")
int tls_write_enter(struct pt_regs *ctx)
{
	return as_tls_enter(ctx->di, ctx->si, 0, AS_TLS_WRITE);
}

/* int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes) */
SEC("uprobe")
int tls_read_ex_enter(struct pt_regs *ctx)
{
	return as_tls_enter(ctx->di, ctx->si, ctx->cx, AS_TLS_READ_EX);
}

SEC("uprobe")
int tls_write_ex_enter(struct pt_regs *ctx)
{
	return as_tls_enter(ctx->di, ctx->si, ctx->cx, AS_TLS_WRITE_EX);
}

/* The return of any of the four: feed what was read or written. */
SEC("uretprobe")
int tls_return(struct pt_regs *ctx)
{
	struct as_conn_key key;
	struct as_scratch *s;
	struct as_stash *st;
	struct as_conn *c;
	long ret = ctx->ax;
	__u64 n = 0, buf;
	__u32 dir_in;
	__s32 fd;
	__u8 kind;

	st = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, 0);
	if (!st || !st->tls_kind)
		return 0;
	kind = st->tls_kind;
	st->tls_kind = AS_TLS_NONE;
	if (kind == AS_TLS_READ_EX || kind == AS_TLS_WRITE_EX) {
		if ((int)ret != 1 || bpf_probe_read_user(&n, sizeof(n), (const void *)st->tls_count))
			return 0;
	} else if ((int)ret > 0) {
		n = (int)ret;
	}
	if (!n)
		return 0;
	dir_in = kind == AS_TLS_READ || kind == AS_TLS_READ_EX;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	fd = st->tls_fd;
	if (fd < 0 && st->last_read_fd > 0) {
		fd = st->last_read_fd; /* a memory BIO: no socket call inside SSL_* */
		as_tls_learn_fd(st, key.tgid, fd);
	}
	if (fd < 0) {
		as_count(AS_CNT_TLS_NO_FD);
		return 0;
	}
	key.fd = fd;
	buf = st->tls_buf;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c && !(c = as_conn_new(&key, buf, n)))
		return 0;
	c->tls = 1;
	if (!(s = as_scratch_for(&key, dir_in)))
		return 0;
	as_feed_buf(&key, c, s, buf, n);
	return 0;
}

/* void SSL_free(SSL *s): its socket is forgotten, so an SSL object that
 * later gets the same address learns its own. */
SEC("uprobe")
int tls_free(struct pt_regs *ctx)
{
	struct as_ssl_key k = {.ssl = ctx->di, .tgid = bpf_get_current_pid_tgid() >> 32};

	bpf_map_delete_elem(&ssl_fds, &k);
	return 0;
}

/* Tell the exporter to look for OpenSSL in process tgid. */
static __always_inline void as_exec_event(__u32 tgid)
{
	__u32 *e = bpf_ringbuf_reserve(&exec_events, sizeof(*e), 0);

	if (!e) {
		as_count(AS_CNT_EXEC_EVENTS_LOST);
		return;
	}
	*e = tgid;
	bpf_ringbuf_submit(e, 0);
}

/* A process started: if it is a target, the exporter looks at it. */
SEC("tracepoint/sched/sched_process_exec")
int process_exec(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (tls_on && as_target_process(tgid))
		as_exec_event(tgid);
	return 0;
}

#endif
