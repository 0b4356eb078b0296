// SPDX-License-Identifier: GPL-2.0
/* The cost floor: empty programs on exactly the hooks apiscope uses, and the
 * variants bench_floor's options choose. */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>

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

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* as apiscope's connection table */
	__uint(max_entries, 65536);
	__type(key, struct floor_conn_key);
	__type(value, __u64);
} floor_conns SEC(".maps");

#define FLOOR_HEAD 256

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

SEC("tracepoint")
int floor_exit_read(struct syscall_exit_ctx *ctx)
{
	struct floor_conn_key key;
	struct floor_head *head;
	struct pt_regs *regs;
	__u64 *when, now = 0, len, buf, iov[2];
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
	when = bpf_map_lookup_elem(&floor_conns, &key);
	if (!when) {
		bpf_map_update_elem(&floor_conns, &key, &now, BPF_NOEXIST);
		return 0;
	}
	head = bpf_map_lookup_elem(&floor_heads, &zero);
	if (!head)
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
	if (!len || bpf_probe_read_user(head->b, len, (const void *)buf))
		return 0;
	*when = bpf_ktime_get_ns();
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
