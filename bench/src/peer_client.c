/*
 * A client of a rump kernel server built against NetBSD's librumpclient:
 * `peer_client N` times N remote getpid calls, then N/10 preads of 64 KiB
 * from a file in the server's /tmp, and prints the cost of one of each in
 * microseconds ("getpid US" and "pread64k US"). rumpbench compiles it with
 * the NetBSD peer's headers and runs it against NetBSD's server and ours.
 */
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static char buf[64 << 10];
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	int i, fd, m = n / 10 > 0 ? n / 10 : 1;
	double t;

	if (rumpclient_init() != 0) {
		perror("rumpclient_init");
		return 1;
	}
	t = now();
	for (i = 0; i < n; i++)
		rump_sys_getpid();
	printf("getpid %.3f\n", (now() - t) / n * 1e6);
	fd = rump_sys_open("/tmp/peer_client", RUMP_O_RDWR | RUMP_O_CREAT, 0644);
	memset(buf, 'p', sizeof buf);
	if (fd < 0 || rump_sys_write(fd, buf, sizeof buf) != sizeof buf) {
		perror("open and write /tmp/peer_client");
		return 1;
	}
	t = now();
	for (i = 0; i < m; i++) {
		if (rump_sys_pread(fd, buf, sizeof buf, 0) != sizeof buf) {
			perror("pread");
			return 1;
		}
	}
	printf("pread64k %.3f\n", (now() - t) / m * 1e6);
	return 0;
}
