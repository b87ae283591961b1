/*
 * A local client: the kernel runs in this process (librump.so and the
 * component libraries it was linked with). Compiled against our headers,
 * or with -DNETBSD_HEADERS against NetBSD's, when it leaves out what only
 * our headers declare and what NetBSD's kernel does not survive (calls
 * before rump_init, a bad pointer). NB_* come from the test (netbsd_abi); argv[1] is a
 * host FFS image holding hello.txt.
 */
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* NetBSD's struct tmpfs_args and struct ufs_args (amd64). */
struct nb_tmpfs_args {
	int ta_version;
	uint64_t ta_nodes_max;
	int64_t ta_size_max;
	uint32_t ta_root_uid;
	uint32_t ta_root_gid;
	uint32_t ta_root_mode;
};
struct nb_ufs_args {
	char *fspec;
};
_Static_assert(sizeof(struct nb_tmpfs_args) == NB_TMPFS_ARGS_SIZE, "tmpfs_args");
_Static_assert(sizeof(struct nb_ufs_args) == NB_UFS_ARGS_SIZE, "ufs_args");

static void
say(const char *what, long rv)
{
	printf("%s: %ld errno %d\n", what, rv, rv == -1 ? errno : 0);
	fflush(stdout);
}

static void
status(const char *what, int rv)
{
	printf("%s: status %d\n", what, rv);
	fflush(stdout);
}

#ifndef NETBSD_HEADERS
static int inits, finis;

static int
modcmd(int cmd, void *arg)
{
	(void)arg;
	if (cmd == 0)
		inits++;
	else if (cmd == 1)
		finis++;
	return 0;
}

static const struct modinfo testmod = {
	.mi_version = 0,
	.mi_class = 1,
	.mi_modcmd = modcmd,
	.mi_name = "c_testmod",
	.mi_required = NULL,
};
#endif

static uint64_t
stsize(const char *path)
{
	char st[NB_STAT_SIZE];
	uint64_t size = (uint64_t)-1;

	if (rump_sys_stat(path, (struct stat *)st) == 0)
		memcpy(&size, st + NB_ST_SIZE_OFF, sizeof(size));
	return size;
}

int
main(int argc, char **argv)
{
	char buf[64];
	struct nb_tmpfs_args ta;
	struct nb_ufs_args ua;
	struct lwp *child;
	int fd, p[2];
	pid_t parent;

	if (argc != 2) {
		fprintf(stderr, "usage: local_client ffs-image\n");
		return 2;
	}
#ifndef NETBSD_HEADERS
	say("getpid before init", rump_sys_getpid());
	printf("errno is ENXIO: %d\n", errno == RUMP_ENXIO);
#endif
	status("rump_init", rump_init());
	status("rump_init again", rump_init());
	printf("version: %d\n", rump_getversion() == rump_pub_getversion() && rump_getversion() > 0);
	parent = rump_sys_getpid();
	printf("getpid positive: %d\n", parent > 0);

	/* tmpfs */
	say("mkdir /mnt", rump_sys_mkdir("/mnt", 0777));
	memset(&ta, 0, sizeof(ta));
	ta.ta_version = NB_TMPFS_ARGS_VERSION;
	ta.ta_size_max = 1 << 20;
	ta.ta_root_mode = 0777;
	say("mount tmpfs", rump_sys_mount(RUMP_MOUNT_TMPFS, "/mnt", 0, &ta, sizeof(ta)));
	fd = rump_sys_open("/mnt/f", RUMP_O_RDWR | RUMP_O_CREAT, 0644);
	printf("open: %d\n", fd >= 0);
	say("write", rump_sys_write(fd, "hello, local kernel", 19));
	say("lseek", rump_sys_lseek(fd, 7, NB_SEEK_SET));
	memset(buf, 0, sizeof(buf));
	say("read", rump_sys_read(fd, buf, sizeof(buf)));
	printf("got %s\n", buf);
	say("close", rump_sys_close(fd));
	printf("stat size: %llu\n", (unsigned long long)stsize("/mnt/f"));
#ifndef NETBSD_HEADERS
	/* NetBSD's local kernel copies with memcpy: this would crash it. */
	say("stat to a bad pointer", rump_sys_stat("/mnt/f", (struct stat *)8));
#endif
	say("open missing", rump_sys_open("/mnt/none", RUMP_O_RDWR, 0));
	rump_sys_getpid();
	printf("errno after getpid %d\n", errno);
	say("pipe", rump_sys_pipe(p));
	say("pipe write", rump_sys_write(p[1], "xy", 2));
	memset(buf, 0, sizeof(buf));
	say("pipe read", rump_sys_read(p[0], buf, sizeof(buf)));

	/* processes and credentials */
	say("mkdir private 0700", rump_sys_mkdir("/mnt/private", 0700));
	printf("implicit curlwp is NULL: %d\n", rump_pub_lwproc_curlwp() == NULL);
	status("rfork", rump_pub_lwproc_rfork(RUMP_RFFDG));
	child = rump_pub_lwproc_curlwp();
	printf("child curlwp: %d\n", child != NULL);
	printf("child pid differs: %d\n", rump_sys_getpid() != parent);
	printf("child's parent: %d\n", rump_sys_getppid() == parent);
	say("setuid 1000", rump_sys_setuid(1000));
	say("getuid", rump_sys_getuid());
	say("open in 0700 dir", rump_sys_open("/mnt/private/x", RUMP_O_RDWR | RUMP_O_CREAT, 0644));
	printf("errno is EACCES: %d\n", errno == RUMP_EACCES);
	say("mkdir in 0700 dir", rump_sys_mkdir("/mnt/private/d", 0755));
	say("setuid 0 again", rump_sys_setuid(0));
	rump_pub_lwproc_switch(NULL);
	say("implicit getuid", rump_sys_getuid());
	rump_pub_lwproc_switch(child);
	say("child getuid again", rump_sys_getuid());
	rump_pub_lwproc_releaselwp();
	printf("released, curlwp is NULL: %d\n", rump_pub_lwproc_curlwp() == NULL);
	printf("back in the parent: %d\n", rump_sys_getpid() == parent);
	status("newlwp in a missing process", rump_pub_lwproc_newlwp(31999));

	/* etfs and FFS */
	status("etfs register", rump_pub_etfs_register("/dev/ffsimg", argv[1], RUMP_ETFS_BLK));
	say("mkdir /ffs", rump_sys_mkdir("/ffs", 0755));
	ua.fspec = "/dev/ffsimg";
	say("mount ffs", rump_sys_mount(RUMP_MOUNT_FFS, "/ffs", 0, &ua, sizeof(ua)));
	fd = rump_sys_open("/ffs/hello.txt", RUMP_O_RDONLY, 0);
	printf("open hello.txt: %d\n", fd >= 0);
	memset(buf, 0, sizeof(buf));
	say("read hello.txt", rump_sys_read(fd, buf, sizeof(buf) - 1));
	printf("got %s", buf);
	say("close", rump_sys_close(fd));
	fd = rump_sys_open("/ffs/new.txt", RUMP_O_RDWR | RUMP_O_CREAT, 0644);
	say("write new.txt", rump_sys_write(fd, "written by the C client\n", 24));
	say("close", rump_sys_close(fd));
	say("unmount ffs", rump_sys_unmount("/ffs", 0));
	say("stat after unmount", rump_sys_stat("/ffs/new.txt", (struct stat *)buf));
	status("etfs remove", rump_pub_etfs_remove("/dev/ffsimg"));
	status("etfs remove again", rump_pub_etfs_remove("/dev/ffsimg"));
	/*
	 * A key taken, as a regular file: NetBSD's rumpblk lets a refused
	 * duplicate of a block device release the device the first holds.
	 */
	status("etfs reg", rump_pub_etfs_register("/etfsfile", argv[1], RUMP_ETFS_REG));
	status("etfs reg again", rump_pub_etfs_register("/etfsfile", argv[1], RUMP_ETFS_REG));
	printf("etfs reg size: %llu\n", (unsigned long long)stsize("/etfsfile"));
	status("etfs reg remove", rump_pub_etfs_remove("/etfsfile"));

#ifndef NETBSD_HEADERS
	/* modules */
	{
		const struct modinfo *const mods[] = { &testmod };

		status("module init", rump_pub_module_init(mods, 1));
		status("module init again", rump_pub_module_init(mods, 1));
		printf("inits %d\n", inits);
		status("module fini", rump_pub_module_fini(&testmod));
		printf("finis %d\n", finis);
	}
#endif

	/* a virtual CPU held, and (ours) across a call */
	rump_schedule();
#ifndef NETBSD_HEADERS
	printf("getpid while scheduled: %d\n", rump_sys_getpid() == parent);
#endif
	rump_unschedule();
	printf("unscheduled\n");

	say("reboot", rump_sys_reboot(0, NULL));
	printf("not reached\n");
	return 1;
}
