// SPDX-License-Identifier: GPL-2.0
/* The cost floor: empty programs on exactly the hooks apiscope uses, and the
 * variants bench_floor's options choose. */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid = 0;

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
	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
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
