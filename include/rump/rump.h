/*
 * rump.h: a rump kernel inside the calling process (librump.so).
 *
 * A program links librump.so and the component libraries it wants
 * (cc prog.c -lrump -lrumpvfs -lrumpfs_tmpfs; pkg-config rump), calls
 * rump_init() and then the rump_sys_* calls of <rump/rump_syscalls.h>,
 * which run in that kernel with NetBSD's numbers, flags and structure
 * layouts (see rumpdefs.h). rump_init() attaches the components of every
 * component library loaded into the process, linked or preloaded.
 *
 * The rump_pub_* calls and rump_init() return 0 or an error number
 * (NetBSD's); the rump_sys_* calls return -1 and set errno.
 */

#ifndef _RUMP_RUMP_H_
#define _RUMP_RUMP_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rump/rumpdefs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A thread of a process of the kernel, known by its address only. */
struct lwp;

/* How a host file appears under its key: the RUMP_ETFS_* values. */
enum rump_etfs_type {
	_RUMP_ETFS_TYPE_FIRST = RUMP_ETFS_REG,
	_RUMP_ETFS_TYPE_LAST = RUMP_ETFS_DIR_SUBDIRS
};

/*
 * A host file to register when the kernel boots: the program fills in the
 * first five fields and keeps the structure alive; rump_init() sets
 * eb_status (-1 until then, then 0 or the error number).
 */
struct rump_boot_etfs {
	const char *eb_key;
	const char *eb_hostpath;
	enum rump_etfs_type eb_type;
	uint64_t eb_begin;
	uint64_t eb_size;
	struct rump_boot_etfs *_eb_next;
	int eb_status;
};

/*
 * A kernel module linked into the program (NetBSD's struct modinfo):
 * mi_modcmd(cmd, NULL) is called with NetBSD's MODULE_CMD_INIT (0) by
 * rump_pub_module_init() and MODULE_CMD_FINI (1) by rump_pub_module_fini();
 * mi_required is a comma-separated list of module names.
 */
#ifndef _RUMP_MODINFO_DEFINED
#define _RUMP_MODINFO_DEFINED
struct modinfo {
	unsigned int mi_version;
	int mi_class;
	int (*mi_modcmd)(int, void *);
	const char *mi_name;
	const char *mi_required;
};
#endif

/* Boot the process's kernel; again is harmless. */
int rump_init(void);

/* Boot flags (RUMP_AB_*), to set before rump_init(). */
int rump_boot_gethowto(void);
void rump_boot_sethowto(int);
void rump_boot_etfs_register(struct rump_boot_etfs *);

/* __NetBSD_Version__ of the ABI the kernel speaks. */
int rump_getversion(void);
int rump_pub_getversion(void);
/* Whether that ABI is the host's (never, on a host that is not NetBSD). */
int rump_nativeabi_p(void);

/* Hold one of the kernel's virtual CPUs between the two. */
void rump_schedule(void);
void rump_unschedule(void);

int rump_pub_module_init(const struct modinfo * const *, size_t);
int rump_pub_module_fini(const struct modinfo *);

/* Processes and threads of the kernel for the calling host thread. */
int rump_pub_lwproc_rfork(int);
int rump_pub_lwproc_newlwp(pid_t);
void rump_pub_lwproc_switch(struct lwp *);
void rump_pub_lwproc_releaselwp(void);
struct lwp *rump_pub_lwproc_curlwp(void);

/* Host files, devices and directories under a key of the kernel's tree. */
int rump_pub_etfs_register(const char *, const char *, enum rump_etfs_type);
int rump_pub_etfs_register_withsize(const char *, const char *,
    enum rump_etfs_type, uint64_t, uint64_t);
int rump_pub_etfs_remove(const char *);

#ifdef __cplusplus
}
#endif

#endif /* _RUMP_RUMP_H_ */
