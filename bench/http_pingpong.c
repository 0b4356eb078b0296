// HTTP/1.1 keep-alive request/response pairs over loopback TCP, client and
// server in one thread: the client writes a request, the server reads it and
// writes nginx's `return 200` response (head and body in one writev), the
// client reads it. No waiting on another thread or on a scheduler, so the
// time per request is the four syscalls' and whatever runs on them: with
// apiscope, its programs on both sides of the connection.
//
// usage: bench_http_pingpong REQUESTS
// prints ns per request (wall) and the number of requests
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* What wrk sends in the nginx benchmark (its headers of benchlib.WRK_HEADERS). */
static const char request[] = "GET /ok HTTP/1.1\r\n"
			      "Host: 127.0.0.1:18100\r\n"
			      "X-Request-Id: 5f0c2a9e-bench\r\n"
			      "X-Tenant: acme\r\n"
			      "User-Agent: wrk-bench/4.1\r\n"
			      "\r\n";
/* nginx 1.22's answer to it, byte for byte apart from the date. */
static const char head[] = "HTTP/1.1 200 OK\r\n"
			   "Server: nginx/1.22.1\r\n"
			   "Date: Tue, 01 Dec 2026 16:00:00 GMT\r\n"
			   "Content-Type: text/plain\r\n"
			   "Content-Length: 3\r\n"
			   "Connection: keep-alive\r\n"
			   "\r\n";
static const char body[] = "ok\n";

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(addr);
	size_t reql = sizeof(request) - 1, respl = sizeof(head) - 1 + sizeof(body) - 1;
	struct iovec iov[2] = {{(void *)head, sizeof(head) - 1}, {(void *)body, sizeof(body) - 1}};
	long requests = argc > 1 ? atol(argv[1]) : 100000;
	int lsock, c, s, one = 1;
	char buf[4096];
	double t0;

	lsock = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) || listen(lsock, 1) ||
	    getsockname(lsock, (struct sockaddr *)&addr, &alen))
		return 1;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&addr, sizeof(addr)))
		return 1;
	s = accept(lsock, NULL, NULL);
	if (s < 0)
		return 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = now_ns();
	for (long i = 0; i < requests; i++) {
		/* loopback delivers a small write whole to the next read */
		if (write(c, request, reql) != (ssize_t)reql || read(s, buf, sizeof(buf)) != (ssize_t)reql ||
		    writev(s, iov, 2) != (ssize_t)respl || read(c, buf, sizeof(buf)) != (ssize_t)respl) {
			fprintf(stderr, "bench_http_pingpong: short read or write at request %ld\n", i);
			return 2;
		}
	}
	printf("%.1f %ld\n", (now_ns() - t0) / requests, requests);
	close(c);
	close(s);
	close(lsock);
	return 0;
}
