/*
 * A remote client written against NetBSD's own rump headers (the test
 * passes the peer's include folder): it links with our librumpclient.so
 * and must print the same against NetBSD's server and ours. It works in
 * the kernel's root file system. NB_* come from the test (netbsd_abi).
 */
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
say(const char *what, long rv)
{
	printf("%s: %ld errno %d\n", what, rv, rv == -1 ? errno : 0);
}

int
main(void)
{
	char buf[64], st[NB_STAT_SIZE];
	uint64_t size;
	int fd, p[2], status;
	pid_t kpid, child;

	if (rumpclient_init() == -1) {
		perror("rumpclient_init");
		return 1;
	}
	kpid = rump_sys_getpid();
	printf("getpid positive: %d\n", kpid > 0);
	say("mkdir", rump_sys_mkdir("/cdiff", 0755));
	say("mkdir again", rump_sys_mkdir("/cdiff", 0755));
	fd = rump_sys_open("/cdiff/f", RUMP_O_RDWR | RUMP_O_CREAT | RUMP_O_EXCL, 0600);
	printf("open: %d\n", fd >= 0);
	say("open excl again", rump_sys_open("/cdiff/f", RUMP_O_RDWR | RUMP_O_CREAT | RUMP_O_EXCL, 0600));
	say("write", rump_sys_write(fd, "0123456789", 10));
	say("lseek", rump_sys_lseek(fd, 2, NB_SEEK_SET));
	memset(buf, 0, sizeof(buf));
	say("read", rump_sys_read(fd, buf, 4));
	printf("got %s\n", buf);
	say("ftruncate", rump_sys_ftruncate(fd, 6));
	say("fstat", rump_sys_fstat(fd, (struct stat *)st));
	memcpy(&size, st + NB_ST_SIZE_OFF, sizeof(size));
	printf("size %llu\n", (unsigned long long)size);
	say("stat missing", rump_sys_stat("/cdiff/none", (struct stat *)st));
	say("rmdir not empty", rump_sys_rmdir("/cdiff"));
	say("rename", rump_sys_rename("/cdiff/f", "/cdiff/g"));
	say("unlink old name", rump_sys_unlink("/cdiff/f"));
	say("close bad", rump_sys_close(4242));
	rump_sys_getpid();
	printf("errno after success %d\n", errno);
	say("pipe", rump_sys_pipe(p));
	say("pipe write", rump_sys_write(p[1], "ab", 2));
	say("pipe read", rump_sys_read(p[0], buf, sizeof(buf)));

	fflush(stdout);
	child = rumpclient_fork();
	if (child == 0)
		_exit(rump_sys_getpid() != kpid && rump_sys_write(fd, "c", 1) == 1 ? 0 : 3);
	waitpid(child, &status, 0);
	printf("child exit %d\n", WEXITSTATUS(status));
	say("fstat", rump_sys_fstat(fd, (struct stat *)st));
	memcpy(&size, st + NB_ST_SIZE_OFF, sizeof(size));
	printf("size after the child %llu\n", (unsigned long long)size);
	/* Last: a fault ends the connection (NetBSD's library would crash). */
	say("read bad pointer", rump_sys_read(fd, (void *)8, 4));
	return 0;
}
