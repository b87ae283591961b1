/*
 * How blocked calls end, asked of a rump kernel by a remote client with
 * two threads: a call whose descriptor another thread closes, and a
 * receive that a kernel timer signal comes to. Built against NetBSD's
 * headers and library, run against NetBSD's server and ours.
 * NB_* come from the netbsd_abi crate (-D).
 */
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>
#include <rump/rump_syscalls.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int fds[2];
static volatile sig_atomic_t caught;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static const char *err(long r)
{
	static char other[32];
	if (r >= 0)
		return "ok";
	switch (errno) {
	case NB_EBADF: return "EBADF";
	case NB_EPIPE: return "EPIPE";
	case NB_EWOULDBLOCK: return "EWOULDBLOCK";
	case NB_EINTR: return "EINTR";
	case NB_ERESTART: return "ERESTART";
	}
	snprintf(other, sizeof other, "errno %d", errno);
	return other;
}

static void *closer(void *arg)
{
	(void)arg;
	usleep(300000);
	rump_sys_close(fds[0]);
	return NULL;
}

/* Read fds[0] while another thread closes it. */
static void read_closed(const char *what)
{
	pthread_t t;
	char buf[16];
	double t0 = now();
	pthread_create(&t, NULL, closer, NULL);
	long r = rump_sys_read(fds[0], buf, sizeof buf);
	printf("%s read: %s, woken by the close: %s\n", what, err(r),
	    now() - t0 < 3 ? "yes" : "no");
	pthread_join(t, NULL);
	r = rump_sys_read(fds[0], buf, sizeof buf);
	printf("%s read again: %s\n", what, err(r));
}

static void on_alarm(int sig)
{
	caught = sig;
}

/* A receive with a 1 s SO_RCVTIMEO, a timer signal 200 ms in. */
static void signalled_recv(int flags)
{
	struct sigaction sa;
	struct timeval tv = { 1, 0 };
	struct itimerval it;
	char buf[16];

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigaction(SIGALRM, &sa, NULL);
	caught = 0;
	rump_sys_socketpair(RUMP_AF_LOCAL, RUMP_SOCK_STREAM, 0, fds);
	rump_sys_setsockopt(fds[0], RUMP_SOL_SOCKET, RUMP_SO_RCVTIMEO, &tv,
	    sizeof tv);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 200000;
	rump_sys_setitimer(NB_ITIMER_REAL, &it, NULL);
	double t0 = now();
	long r = rump_sys_recvfrom(fds[0], buf, sizeof buf, 0, NULL, NULL);
	double took = now() - t0;
	printf("recv%s: %s, after its whole timeout: %s, handler ran: %s\n",
	    flags ? " (SA_RESTART)" : "", err(r), took >= 0.9 ? "yes" : "no",
	    caught == SIGALRM ? "yes" : "no");
	rump_sys_close(fds[0]);
	rump_sys_close(fds[1]);
}

int main(void)
{
	char c = 'x';

	if (rumpclient_init() != 0) {
		perror("rumpclient_init");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	rump_sys_socketpair(RUMP_AF_LOCAL, RUMP_SOCK_STREAM, 0, fds);
	int peer = fds[1];
	read_closed("socket");
	long n = rump_sys_read(peer, &c, 1);
	printf("socket peer read: %s, %ld bytes\n", err(n), n);
	rump_sys_close(peer);

	rump_sys_pipe(fds);
	int w = fds[1];
	read_closed("pipe");
	printf("pipe write: %s\n", err(rump_sys_write(w, &c, 1)));
	rump_sys_close(w);

	signalled_recv(0);
	signalled_recv(SA_RESTART);
	return 0;
}
