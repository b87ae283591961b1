/*
 * rumpclient_exec: the program execs itself, and the new image's
 * rumpclient_init takes up the same process in the kernel (same pid,
 * same descriptors).
 */
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int
main(int argc, char *argv[])
{
	char pid[32], fd[32], buf[8];
	int f;

	if (rumpclient_init() == -1) {
		perror("rumpclient_init");
		return 1;
	}
	if (argc == 3) {
		memset(buf, 0, sizeof(buf));
		printf("same process after exec: %d\n", rump_sys_getpid() == atoi(argv[1]));
		printf("descriptor kept: %ld %s\n",
		    (long)rump_sys_pread(atoi(argv[2]), buf, 3, 0), buf);
		return 0;
	}
	f = rump_sys_open("/exec-file", RUMP_O_RDWR | RUMP_O_CREAT, 0600);
	rump_sys_write(f, "abc", 3);
	snprintf(pid, sizeof(pid), "%d", (int)rump_sys_getpid());
	snprintf(fd, sizeof(fd), "%d", f);
	{
		char *args[] = { argv[0], pid, fd, NULL };
		rumpclient_exec(argv[0], args, environ);
	}
	perror("rumpclient_exec");
	return 1;
}
