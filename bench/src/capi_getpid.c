/*
 * A local client of librump.so: `capi_getpid N` boots the kernel in this
 * process, times N rump_sys_getpid calls and N of the host's getpid (a
 * real system call each, not libc's), and prints the cost of one of each
 * in microseconds ("rump US", "host US"). rumpbench compiles it against
 * our headers, or NetBSD's, and links it with our librump.so or NetBSD's.
 */
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	int i, err;
	volatile long sink = 0;
	double t;

	if ((err = rump_init()) != 0) {
		fprintf(stderr, "rump_init: error %d\n", err);
		return 1;
	}
	for (i = 0; i < n / 10; i++)
		sink += rump_sys_getpid();
	t = now();
	for (i = 0; i < n; i++)
		sink += rump_sys_getpid();
	printf("rump %.4f\n", (now() - t) / n * 1e6);
	t = now();
	for (i = 0; i < n; i++)
		sink += syscall(SYS_getpid);
	printf("host %.4f\n", (now() - t) / n * 1e6);
	return 0;
}
