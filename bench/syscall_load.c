// A non-target workload: small writes and reads over a pipe and a loopback
// TCP echo, timed. With apiscope targeting another process, every one of
// these syscalls still runs apiscope's programs, which must leave at once.
//
// usage: bench_syscall_load ITERATIONS   (prints ns per round trip, pipe and tcp)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long iterations;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Echo what comes in on fd_in to fd_out, iterations times. */
struct echo {
	int in, out;
};

static void *echo(void *arg)
{
	struct echo *e = arg;
	char buf[8];

	for (long i = 0; i < iterations; i++) {
		if (read(e->in, buf, sizeof(buf)) != sizeof(buf) || write(e->out, buf, sizeof(buf)) != sizeof(buf))
			exit(2);
	}
	return NULL;
}

static double ping_pong(int out, int in)
{
	char buf[8] = "pingpong";
	double t0 = now_ns();

	for (long i = 0; i < iterations; i++) {
		if (write(out, buf, sizeof(buf)) != sizeof(buf) || read(in, buf, sizeof(buf)) != sizeof(buf))
			exit(2);
	}
	return (now_ns() - t0) / iterations;
}

int main(int argc, char **argv)
{
	int to[2], from[2], lsock, c, s, one = 1;
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	pthread_t t;
	struct echo e;
	double pipe_ns, tcp_ns;

	iterations = argc > 1 ? atol(argv[1]) : 200000;
	if (pipe(to) || pipe(from))
		return 1;
	e = (struct echo){to[0], from[1]};
	pthread_create(&t, NULL, echo, &e);
	pipe_ns = ping_pong(to[1], from[0]);
	pthread_join(t, NULL);

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
	e = (struct echo){s, s};
	pthread_create(&t, NULL, echo, &e);
	tcp_ns = ping_pong(c, c);
	pthread_join(t, NULL);
	printf("%.0f %.0f\n", pipe_ns, tcp_ns);
	return 0;
}
