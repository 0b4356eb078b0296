// A non-target workload: small writes and reads over a pipe and a loopback
// TCP echo, timed. With apiscope targeting another process, every one of
// these syscalls still runs apiscope's programs, which must leave at once.
//
// usage: bench_syscall_load ITERATIONS [pg]
// prints ns per round trip (4 syscalls: write, read, write, read), pipe then TCP.
// "pg": the messages are PostgreSQL-like ('Q', a length, a query), which a
// process apiscope targets sends to its database: not HTTP, though they start
// with an uppercase letter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long iterations;
static char message[8] = "pingpong";

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One thread writes 8 bytes into `a` and reads them back from `b`, then the
 * other way: no waiting on another thread, so the time is the syscalls'. */
static double round_trips(int a_out, int a_in, int b_out, int b_in)
{
	char buf[sizeof(message)];
	double t0 = now_ns();

	memcpy(buf, message, sizeof(buf));
	for (long i = 0; i < iterations; i++) {
		if (write(a_out, buf, sizeof(buf)) != sizeof(buf) || read(b_in, buf, sizeof(buf)) != sizeof(buf) ||
		    write(b_out, buf, sizeof(buf)) != sizeof(buf) || read(a_in, buf, sizeof(buf)) != sizeof(buf))
			exit(2);
	}
	return (now_ns() - t0) / iterations;
}

int main(int argc, char **argv)
{
	int to[2], from[2], lsock, c, s, one = 1;
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	double pipe_ns, tcp_ns;

	iterations = argc > 1 ? atol(argv[1]) : 200000;
	if (argc > 2 && !strcmp(argv[2], "pg"))
		memcpy(message, "Q\0\0\0\7S;", sizeof(message));
	if (pipe(to) || pipe(from))
		return 1;
	pipe_ns = round_trips(to[1], from[0], from[1], to[0]);

	lsock = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) || listen(lsock, 1) ||
	    getsockname(lsock, (struct sockaddr *)&addr, &len))
		return 1;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&addr, sizeof(addr)))
		return 1;
	s = accept(lsock, NULL, NULL);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	tcp_ns = round_trips(c, c, s, s);
	printf("%.0f %.0f\n", pipe_ns, tcp_ns);
	return 0;
}
