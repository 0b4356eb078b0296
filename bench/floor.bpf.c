// SPDX-License-Identifier: GPL-2.0
/* The cost floor: empty programs on exactly the hooks apiscope uses, and the
 * variants bench_floor's options choose. */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "parse_base.h" /* the parser's word-at-a-time byte tests */

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __attribute__((section(".ksyms")));

/* whose syscalls "pid" and "read" look at: "pid" compares the first only */
#define FLOOR_TARGETS 4
const volatile __u32 target_tgids[FLOOR_TARGETS] = {};

SEC("tracepoint")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint")
int floor_exit(void *ctx)
{
	return 0;
}

/* The least any per-process filter does: learn whose syscall this is (one
 * helper call) and leave when it is not the target's. */
SEC("tracepoint")
int floor_exit_pid(void *ctx)
{
	if (bpf_get_current_pid_tgid() >> 32 != target_tgids[0])
		return 0;
	return 1;
}

/* The least a design that reads each message's head does, past the
 * filter: the syscall's arguments, its connection's entry (one lookup,
 * one store: the message's time), one copy of its first bytes (of the first
 * iovec for readv/writev/recvmsg/sendmsg, after the copy of that iovec).
 * No parse, no record. */
struct floor_conn_key {
	__u32 tgid;
	__u32 fd;
};

struct floor_conn {
	__u64 when; /* the last message's time; 0 until a head was copied */
	__u64 path; /* "count": the first 8 bytes of the last request's path */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* as apiscope's connection table */
	__uint(max_entries, 65536);
	__type(key, struct floor_conn_key);
	__type(value, struct floor_conn);
} floor_conns SEC(".maps");

#define FLOOR_HEAD 256
#define FLOOR_WORDS (FLOOR_HEAD / 8)

struct floor_head {
	__u8 b[FLOOR_HEAD];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_head);
} floor_heads SEC(".maps");

static __always_inline bool floor_target(__u32 tgid)
{
	for (int i = 0; i < FLOOR_TARGETS; i++)
		if (target_tgids[i] == tgid)
			return true;
	return false;
}

/* "count", once per new connection: is fd a stream socket, not a file or a
 * pipe whose bytes start like HTTP? */
static __always_inline bool floor_stream_socket(__u32 fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file *f = NULL;
	struct socket *sock;

	if (!fdt || fd >= fdt->max_fds || bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]) || !f)
		return false;
	f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	if ((f->f_inode->i_mode & 0170000) != 0140000) /* S_IFSOCK */
		return false;
	sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	return sock->sk && sock->sk->sk_type == 1; /* SOCK_STREAM */
}

/* The read floor's work; returns the copied head's length (0: nothing to
 * look at), its connection's entry and the time. The read floor only enters
 * a new connection; "count" (all) goes on to read its first message. */
static __always_inline __u64 floor_read_head(struct syscall_exit_ctx *ctx, struct floor_head **head,
					     struct floor_conn **conn, __u64 *now, bool all)
{
	struct floor_conn_key key;
	struct floor_conn fresh = {};
	struct pt_regs *regs;
	__u64 len, buf, iov[2];
	__u32 zero = 0;
	__s32 nr = ctx->nr;
	__s64 ret = ctx->ret;

	if (ret <= 0)
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	if (!floor_target(key.tgid))
		return 0;
	/* x86-64: read, write, readv, writev, sendto, recvfrom, sendmsg, recvmsg */
	if (nr != 0 && nr != 1 && nr != 19 && nr != 20 && (nr < 44 || nr > 47))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return 0;
	key.fd = regs->di;
	buf = regs->si;
	*conn = bpf_map_lookup_elem(&floor_conns, &key);
	if (!*conn) {
		if (all && !floor_stream_socket(key.fd))
			return 0;
		bpf_map_update_elem(&floor_conns, &key, &fresh, BPF_NOEXIST);
		if (!all || !(*conn = bpf_map_lookup_elem(&floor_conns, &key)))
			return 0;
	}
	*head = bpf_map_lookup_elem(&floor_heads, &zero);
	if (!*head)
		return 0;
	len = ret < FLOOR_HEAD ? ret : FLOOR_HEAD;
	if (nr == 19 || nr == 20 || nr >= 46) {
		/* msghdr holds its iovec array at offset 16 */
		if (nr >= 46 && bpf_probe_read_user(&buf, sizeof(buf), (const void *)(buf + 16)))
			return 0;
		if (bpf_probe_read_user(iov, sizeof(iov), (const void *)buf))
			return 0;
		buf = iov[0];
		len = iov[1] < len ? iov[1] : len;
	}
	if (!len || bpf_probe_read_user((*head)->b, len, (const void *)buf))
		return 0;
	*now = bpf_ktime_get_ns();
	return len;
}

SEC("tracepoint")
int floor_exit_read(struct syscall_exit_ctx *ctx)
{
	struct floor_head *head;
	struct floor_conn *conn;
	__u64 now;

	if (!floor_read_head(ctx, &head, &conn, &now, false))
		return 0;
	conn->when = now;
	return 1;
}

/*
 * "count": the read floor plus the least that counting each request exactly
 * by route and status with a latency histogram adds, in the cheapest form
 * there is: a new connection's fd checked to be a stream socket, the end of
 * each head found (the blank line: where the next message starts), a
 * request's time and the first 8 bytes of its path kept with its connection,
 * at the response one series entry, keyed by process, path word and status,
 * found or made, with its count, latency sum and one latency bucket added,
 * and the connection forgotten at close (floor_close_count). Routes are not
 * normalised and sizes not counted: a lower bound, not a design.
 */
struct floor_series_key {
	__u32 tgid;
	__u32 status;
	__u64 path;
};

#define FLOOR_BUCKETS 12

struct floor_series {
	__u64 count;
	__u64 duration_ns_sum;
	__u64 bucket[FLOOR_BUCKETS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct floor_series_key);
	__type(value, struct floor_series);
} floor_series SEC(".maps");

static __always_inline __u64 floor_word(const struct floor_head *head, __u32 i)
{
	return *(const __u64 *)&head->b[(i & (FLOOR_WORDS - 1)) * 8];
}

/* Offset past the blank line that ends the head in b[0..len), or 0: the
 * first LF after "\n\r" or "\n", found a word at a time with the previous
 * word's masks carried. */
static __always_inline __u32 floor_head_end(const struct floor_head *head, __u64 len)
{
	__u64 lf_prev = 0, cr_prev = 0;

	for (__u32 i = 0; i < FLOOR_WORDS; i++) {
		__u64 w, lf, cr, m;

		if (i * 8 >= len)
			break;
		w = floor_word(head, i);
		lf = as_bytes_eq(w, '\n');
		cr = as_bytes_eq(w, '\r');
		/* an LF whose previous byte is CR and the one before LF, or an LF after an LF */
		m = lf & ((((cr << 8) | (cr_prev >> 56)) & ((lf << 16) | (lf_prev >> 48))) |
			  ((lf << 8) | (lf_prev >> 56)));
		if (m) {
			__u32 end = i * 8 + as_lowest_byte(m) + 1;

			return end <= len ? end : 0;
		}
		lf_prev = lf;
		cr_prev = cr;
	}
	return 0;
}

const volatile __u64 floor_bounds_ns[FLOOR_BUCKETS - 1] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

SEC("tracepoint")
int floor_exit_count(struct syscall_exit_ctx *ctx)
{
	struct floor_series_key key = {};
	struct floor_series *v, zero = {};
	struct floor_head *head;
	struct floor_conn *conn;
	__u64 now, len = floor_read_head(ctx, &head, &conn, &now, true), duration;
	__u32 b;

	if (!len || !floor_head_end(head, len))
		return 0;
	if (head->b[0] != 'H') {
		/* a request: its path's first word, after "GET " (methods of up to 7 letters) */
		for (b = 3; b < 8; b++)
			if (head->b[b] == ' ')
				break;
		conn->path = *(__u64 *)&head->b[(b + 1) & 7];
		conn->when = now;
		return 1;
	}
	/* a response, "HTTP/1.1 200": its status and the request's series */
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.path = conn->path;
	key.status = (head->b[9] - '0') * 100 + (head->b[10] - '0') * 10 + (head->b[11] - '0');
	v = bpf_map_lookup_elem(&floor_series, &key);
	if (!v) {
		bpf_map_update_elem(&floor_series, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&floor_series, &key);
		if (!v)
			return 0;
	}
	duration = now - conn->when;
	for (b = 0; b < FLOOR_BUCKETS - 1; b++)
		if (duration <= floor_bounds_ns[b])
			break;
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_add(&v->duration_ns_sum, duration);
	if (b < FLOOR_BUCKETS) /* always: for the verifier */
		__sync_fetch_and_add(&v->bucket[b], 1);
	return 1;
}

/* A BTF raw tracepoint on every syscall's exit: the alternative hook. */
SEC("tp_btf/sys_exit")
int floor_raw_exit(void *ctx)
{
	return 0;
}

/* OpenSSL's SSL_read/SSL_write and their _ex forms, entry and return. */
SEC("uprobe")
int floor_tls_enter(void *ctx)
{
	return 0;
}

SEC("uretprobe")
int floor_tls_return(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int floor_close(void *ctx)
{
	return 0;
}

/* "count": a closed connection is looked up (an exact design counts what it
 * had in flight here) and forgotten, so that the table holds only open
 * connections. */
SEC("tracepoint")
int floor_close_count(struct syscall_enter_ctx *ctx)
{
	struct floor_conn_key key = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = ctx->args[0]};

	if (bpf_map_lookup_elem(&floor_conns, &key))
		bpf_map_delete_elem(&floor_conns, &key);
	return 0;
}

SEC("tracepoint/task/task_rename")
int floor_task_rename(void *ctx)
{
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int floor_process_exit(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
