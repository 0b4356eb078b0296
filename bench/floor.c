// Attaches the empty programs of floor.bpf.c to the hooks apiscope uses and
// waits for SIGINT/SIGTERM: the baseline apiscope's overhead is measured against.
//
// usage: bench_floor [--enter]
// --enter also attaches to the syscalls' entry tracepoints, as apiscope did
// until it read the arguments at exit (the floor of the earlier records).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "floor_bpf.skel.h"

static const char *syscalls[] = {"read",    "write",   "readv",   "writev",     "recvfrom", "sendto",
				  "recvmsg", "sendmsg", "sendfile64", "accept", "accept4", "connect"};

int main(int argc, char **argv)
{
	int enter = argc > 1 && !strcmp(argv[1], "--enter");
	struct floor_bpf *skel = floor_bpf__open_and_load();
	sigset_t sigs;
	int sig, stats_fd;

	if (!skel) {
		fprintf(stderr, "floor: loading the empty programs failed\n");
		return 1;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME); /* as apiscope does by default */
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++) {
		char tp[64];

		snprintf(tp, sizeof(tp), "sys_enter_%s", syscalls[i]);
		if (enter && !bpf_program__attach_tracepoint(skel->progs.floor_enter, "syscalls", tp))
			return 1;
		snprintf(tp, sizeof(tp), "sys_exit_%s", syscalls[i]);
		if (!bpf_program__attach_tracepoint(skel->progs.floor_exit, "syscalls", tp))
			return 1;
	}
	if (floor_bpf__attach(skel))
		return 1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&sigs, &sig);
	floor_bpf__destroy(skel);
	if (stats_fd >= 0)
		close(stats_fd);
	return 0;
}
