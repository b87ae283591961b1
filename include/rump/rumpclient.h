/*
 * rumpclient.h: the client side of a rump kernel server (librumpclient.so).
 *
 * rumpclient_init() connects to the server named by RUMP_SERVER (or
 * RUMP__PARSEDSERVER) as a new process in its kernel; the rump_sys_* calls
 * of <rump/rump_syscalls.h> then run in that kernel. Link with
 * -lrumpclient (pkg-config rumpclient).
 */

#ifndef _RUMP_RUMPCLIENT_H_
#define _RUMP_RUMPCLIENT_H_

#include <sys/types.h>
#include <time.h>

#if !defined(__returns_twice)
#if defined(__GNUC__)
#define __returns_twice __attribute__((__returns_twice__))
#else
#define __returns_twice
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What the child of a fork needs to join the copy its parent prepared. */
struct rumpclient_fork;

/* Connect; 0, or -1 with errno set. Calls before it fail with ENOTCONN. */
int rumpclient_init(void);

/*
 * Make system call sysnum with the argument block data (dlen bytes,
 * register-sized slots as NetBSD's struct sys_*_args). Both return
 * registers go to retval. Returns 0 or NetBSD's error number.
 */
int rumpclient_syscall(int sysnum, const void *data, size_t dlen,
    register_t *retval);

/*
 * Forking: rumpclient_prefork() before the host's fork (NULL with errno
 * on failure); in the child rumpclient_fork_init() makes it the copy of
 * the parent's process in the kernel (-1 with errno on failure); if the
 * fork failed, rumpclient_fork_cancel() lets the copy go. After a vfork
 * whose child has run, the parent calls rumpclient_fork_vparent().
 */
struct rumpclient_fork *rumpclient_prefork(void);
int rumpclient_fork_init(struct rumpclient_fork *);
void rumpclient_fork_cancel(struct rumpclient_fork *);
void rumpclient_fork_vparent(struct rumpclient_fork *);

/* fork(2) and daemon(3) with the three steps above done. */
pid_t rumpclient_fork(void);
int rumpclient_daemon(int nochdir, int noclose);

/* execve(2) keeping the connection: the new program's rumpclient_init()
 * goes on as the same process in the kernel. Returns only on failure. */
int rumpclient_exec(const char *path, char *const argv[], char *const envp[]);

/* What a lost connection does: retry for this many seconds, or: */
#define RUMPCLIENT_RETRYCONN_INFTIME ((time_t)-1) /* retry for ever */
#define RUMPCLIENT_RETRYCONN_ONCE ((time_t)-2)    /* one attempt */
#define RUMPCLIENT_RETRYCONN_DIE ((time_t)-3)     /* exit(1) */
void rumpclient_setconnretry(time_t);

/* For libraries that close descriptors behind the program's back (the
 * hijack): the connection moves off *fdp first. */
enum rumpclient_closevariant {
	RUMPCLIENT_CLOSE_CLOSE,
	RUMPCLIENT_CLOSE_DUP2,
	RUMPCLIENT_CLOSE_FCLOSEM
};
int rumpclient__closenotify(int *fdp, enum rumpclient_closevariant);

/* The three steps around forkfn (fork or vfork), inline so that a vfork
 * child returns into its caller's frame. */
static __inline __attribute__((__always_inline__)) __returns_twice pid_t
rumpclient__dofork(pid_t (*forkfn)(void))
{
	struct rumpclient_fork *rf;
	volatile int child_ran = 0;
	pid_t pid;

	if ((rf = rumpclient_prefork()) == NULL)
		return -1;
	pid = forkfn();
	if (pid == -1) {
		rumpclient_fork_cancel(rf);
	} else if (pid == 0) {
		child_ran = 1;
		if (rumpclient_fork_init(rf) == -1)
			pid = -1;
	} else if (child_ran) {
		rumpclient_fork_vparent(rf);
	}
	return pid;
}

#define rumpclient_vfork() rumpclient__dofork(vfork)

#ifdef __cplusplus
}
#endif

#endif /* _RUMP_RUMPCLIENT_H_ */
