/*
 * A remote client written against our headers: it runs in the kernel of
 * the server named by RUMP_SERVER, where the test has mounted a tmpfs on
 * /mnt, and prints what each call answered. NetBSD's structure offsets
 * and numbers that rumpdefs.h does not carry come from the test as -D
 * flags (NB_*), taken from the netbsd_abi crate.
 */
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
check(const char *what, long rv)
{
	printf("%s: %s\n", what, rv == -1 ? strerror(errno) : "ok");
}

/* The pid of this process in the kernel, through rumpclient_syscall. */
static long
raw_getpid(void)
{
	register_t rv[2] = { -1, -1 };
	int error = rumpclient_syscall(NB_SYS_getpid, NULL, 0, rv);
	return error ? -error : rv[0];
}

int
main(void)
{
	char buf[64], st[NB_STAT_SIZE], dents[4096];
	int fd, n, p[2], status;
	uint64_t size;
	pid_t kpid, child;

	errno = 0;
	n = rump_sys_getpid();
	printf("before init: %d errno ENOTCONN %d\n", n, errno == RUMP_ENOTCONN);
	if (rumpclient_init() == -1) {
		perror("rumpclient_init");
		return 1;
	}
	kpid = rump_sys_getpid();
	printf("getpid matches rumpclient_syscall: %d\n", kpid > 0 && kpid == raw_getpid());

	check("mkdir /mnt/d", rump_sys_mkdir("/mnt/d", 0755));
	fd = rump_sys_open("/mnt/d/f", RUMP_O_RDWR | RUMP_O_CREAT, 0644);
	check("open /mnt/d/f", fd);
	printf("write: %ld\n", (long)rump_sys_write(fd, "hello, kernel", 13));
	printf("lseek: %ld\n", (long)rump_sys_lseek(fd, 0, NB_SEEK_SET));
	memset(buf, 0, sizeof(buf));
	printf("read: %ld %s\n", (long)rump_sys_read(fd, buf, sizeof(buf)), buf);
	printf("pread at 7: %ld %.6s\n", (long)rump_sys_pread(fd, buf, 6, 7), buf);

	check("stat", rump_sys_stat("/mnt/d/f", (struct stat *)st));
	memcpy(&size, st + NB_ST_SIZE_OFF, sizeof(size));
	printf("st_size: %llu\n", (unsigned long long)size);

	{
		int dfd = rump_sys_open("/mnt/d", RUMP_O_RDONLY | RUMP_O_DIRECTORY);
		int got = rump_sys_getdents(dfd, dents, sizeof(dents));
		int off = 0, found = 0;
		uint16_t reclen, namlen;
		while (off < got) {
			memcpy(&reclen, dents + off + NB_D_RECLEN_OFF, 2);
			memcpy(&namlen, dents + off + NB_D_NAMLEN_OFF, 2);
			if (namlen == 1 && dents[off + NB_D_NAME_OFF] == 'f')
				found = 1;
			if (reclen == 0)
				break;
			off += reclen;
		}
		printf("getdents finds f: %d\n", found);
		rump_sys_close(dfd);
	}

	{
		int mib[2] = { NB_CTL_KERN, NB_KERN_OSTYPE };
		size_t len = sizeof(buf);
		memset(buf, 0, sizeof(buf));
		check("sysctl kern.ostype",
		    rump_sys___sysctl(mib, 2, buf, &len, NULL, 0));
		printf("kern.ostype: %s (%zu)\n", buf, len);
	}

	errno = 0;
	n = rump_sys_open("/mnt/nonexistent", RUMP_O_RDONLY);
	printf("open missing: %d errno ENOENT %d\n", n, errno == RUMP_ENOENT);
	n = rump_sys_close(999);
	printf("close 999: %d errno EBADF %d\n", n, errno == RUMP_EBADF);
	rump_sys_stat("/mnt", (struct stat *)st);
	printf("errno after a call that worked: %d\n", errno);

	check("pipe", rump_sys_pipe(p));
	rump_sys_write(p[1], "xy", 2);
	memset(buf, 0, sizeof(buf));
	printf("pipe read: %ld %s\n", (long)rump_sys_read(p[0], buf, 2), buf);

	/* Fork by hand: the child is a new process with the parent's files. */
	{
		struct rumpclient_fork *rf = rumpclient_prefork();
		if (rf == NULL) {
			perror("rumpclient_prefork");
			return 1;
		}
		fflush(stdout);
		child = fork();
		if (child == 0) {
			if (rumpclient_fork_init(rf) == -1)
				_exit(10);
			if (rump_sys_getpid() == kpid)
				_exit(11);
			memset(buf, 0, sizeof(buf));
			if (rump_sys_pread(fd, buf, 5, 0) != 5 || strcmp(buf, "hello") != 0)
				_exit(12);
			if (rump_sys_write(fd, "!", 1) != 1)
				_exit(13);
			_exit(0);
		}
		waitpid(child, &status, 0);
		printf("prefork child: exit %d\n", WEXITSTATUS(status));
		printf("parent still %d\n", rump_sys_getpid() == kpid);
	}

	/* rumpclient_fork does the same three steps. */
	fflush(stdout);
	child = rumpclient_fork();
	if (child == 0)
		_exit(rump_sys_getpid() != kpid && rump_sys_write(fd, "?", 1) == 1 ? 0 : 20);
	waitpid(child, &status, 0);
	printf("rumpclient_fork child: exit %d\n", WEXITSTATUS(status));
	check("stat again", rump_sys_stat("/mnt/d/f", (struct stat *)st));
	memcpy(&size, st + NB_ST_SIZE_OFF, sizeof(size));
	printf("st_size after the children wrote: %llu\n", (unsigned long long)size);

	/*
	 * A pointer the server cannot copy to: the call fails with EFAULT, and
	 * since the protocol has no way to report a fault to the server, the
	 * connection ends (NetBSD's library crashes on it instead).
	 */
	n = rump_sys_stat("/mnt/d/f", (struct stat *)8);
	printf("stat to a bad pointer: %d errno EFAULT %d\n", n, errno == RUMP_EFAULT);
	n = rump_sys_getpid();
	printf("then: %d errno ENOTCONN %d\n", n, errno == RUMP_ENOTCONN);
	return 0;
}
