// SPDX-License-Identifier: GPL-2.0-or-later
// Fixture workload: processes that allocate memory on chosen NUMA nodes in ways that
// differ in order, gfp mask, memcg and migration history, then keep it until the dump.
//   po_work [CGROUP_ROOT]      (cgroup v2 mount with +memory; default /sys/fs/cgroup)
// Every child writes its name to a pipe once its memory is in place; po_work returns
// when all are ready, leaving the children paused.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MPOL_BIND 2
#define MPOL_MF_MOVE (1 << 1)
#define MADV_HUGEPAGE_ 14
#define MADV_NOHUGEPAGE_ 15
#define MB (1UL << 20)

static const char *cgroot = "/sys/fs/cgroup";
static int ready_fd = -1;

static long set_mempolicy_(int mode, unsigned long mask)
{ return syscall(SYS_set_mempolicy, mode, &mask, 64); }
static long mbind_(void *a, size_t len, unsigned long mask, unsigned flags)
{ return syscall(SYS_mbind, a, len, MPOL_BIND, &mask, 64, flags); }

static void die(const char *what) { perror(what); _exit(1); }

static void touch(char *p, size_t len, int v)
{ for (size_t i = 0; i < len; i += 4096) p[i] = (char)(v + i / 4096); }

static void join_cgroup(const char *cg)
{
	char path[256], pid[32];
	snprintf(path, sizeof path, "%s/%s/cgroup.procs", cgroot, cg);
	int fd = open(path, O_WRONLY);
	if (fd < 0) die(path);
	int n = snprintf(pid, sizeof pid, "%d\n", getpid());
	if (write(fd, pid, n) != n) die("cgroup.procs");
	close(fd);
}

static char *map_anon(size_t len, int thp)
{
	size_t al = 2 * MB;
	char *raw = mmap(NULL, len + al, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) die("mmap");
	char *p = (char *)(((unsigned long)raw + al - 1) & ~(al - 1));
	if (madvise(p, len, thp ? MADV_HUGEPAGE_ : MADV_NOHUGEPAGE_)) perror("madvise");
	return p;
}

static void ready(const char *who)
{
	char b[64];
	int n = snprintf(b, sizeof b, "%s\n", who);
	if (write(ready_fd, b, n) != n) die("ready");
	close(ready_fd);
}

static void park(const char *who) { ready(who); for (;;) pause(); }

enum kind { ANON, MBIND, THP, SHMEM, CHURN, COW, PIPES, SLAB, MOVE_PAGES, MIGRATE_PAGES,
	    MBIND_MOVE, MBIND_MOVE_THP, NOMEM_NODE, GONE };

struct job { const char *comm; enum kind kind; int node; size_t mb; const char *cg; };

static void run(const struct job *j)
{
	unsigned long mask = 1UL << j->node, other = 1UL << (j->node ^ 1);
	size_t len = j->mb * MB;
	char *p;

	prctl(PR_SET_NAME, j->comm, 0, 0, 0);
	if (j->cg) join_cgroup(j->cg);
	if (j->kind != NOMEM_NODE && j->kind != MBIND && j->kind != MBIND_MOVE &&
	    j->kind != MBIND_MOVE_THP && set_mempolicy_(MPOL_BIND, mask) < 0)
		perror("set_mempolicy");
	switch (j->kind) {
	case ANON:
		p = map_anon(len, 0); touch(p, len, j->node); break;
	case MBIND:
		p = map_anon(len, 0);
		if (mbind_(p, len, mask, 0)) perror("mbind");
		touch(p, len, 3); break;
	case THP:
		p = map_anon(len, 1); touch(p, len, 7); break;
	case SHMEM: case GONE: {
		char path[64];
		snprintf(path, sizeof path, "/tmp/%s", j->comm);
		int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
		if (fd < 0) die("open");
		static char buf[65536];
		for (size_t i = 0; i < len / sizeof buf; i++) {
			memset(buf, (int)i, sizeof buf);
			if (write(fd, buf, sizeof buf) != sizeof buf) die("write");
		}
		close(fd);
		if (j->kind == GONE) { ready(j->comm); _exit(0); }  /* page cache outlives us */
		break;
	}
	case CHURN:
		for (int r = 0; r < 3; r++) {
			p = map_anon(len, 0); touch(p, len, r); munmap(p, len);
		}
		break;
	case COW: {
		p = map_anon(len, 0); touch(p, len, 1);
		pid_t c = fork();
		if (c < 0) die("fork");
		if (c == 0) {
			prctl(PR_SET_NAME, "po_cow_child", 0, 0, 0);
			touch(p, len / 2, 9);  /* copy-on-write faults */
			close(ready_fd);
			for (;;) pause();
		}
		break;
	}
	case PIPES:
		for (int i = 0; i < 8; i++) {
			int fds[2];
			static char buf[16384];
			if (pipe(fds)) die("pipe");
			memset(buf, i, sizeof buf);
			for (int k = 0; k < 4; k++)
				if (write(fds[1], buf, sizeof buf) != sizeof buf) die("pipe write");
		}
		break;
	case SLAB: {
		char path[64];
		mkdir("/tmp/po_slab", 0755);
		for (int i = 0; i < 3000; i++) {
			snprintf(path, sizeof path, "/tmp/po_slab/f%d", i);
			int fd = open(path, O_CREAT | O_WRONLY, 0644);
			if (fd < 0) die("open slab file");
			close(fd);
		}
		break;
	}
	case MOVE_PAGES: {
		p = map_anon(len, 0); touch(p, len, 2);
		size_t n = len / 4096 / 2;
		void **pages = calloc(n, sizeof *pages);
		int *nodes = calloc(n, sizeof *nodes), *status = calloc(n, sizeof *status);
		for (size_t i = 0; i < n; i++) { pages[i] = p + 2 * i * 4096; nodes[i] = j->node ^ 1; }
		if (syscall(SYS_move_pages, 0, n, pages, nodes, status, 0)) perror("move_pages");
		break;
	}
	case MIGRATE_PAGES:
		p = map_anon(len, 0); touch(p, len, 4);
		if (syscall(SYS_migrate_pages, 0, 64, &mask, &other) < 0) perror("migrate_pages");
		break;
	case MBIND_MOVE: case MBIND_MOVE_THP:
		p = map_anon(len, j->kind == MBIND_MOVE_THP);
		if (mbind_(p, len, mask, 0)) perror("mbind");
		touch(p, len, 5);
		if (mbind_(p, len, other, MPOL_MF_MOVE)) perror("mbind move");
		break;
	case NOMEM_NODE: {
		/* run on the memoryless node's CPU with the default policy: pages fall back */
		cpu_set_t set;
		CPU_ZERO(&set); CPU_SET(j->node, &set);
		if (sched_setaffinity(0, sizeof set, &set)) perror("sched_setaffinity");
		p = map_anon(len, 0); touch(p, len, 6);
		break;
	}
	}
	park(j->comm);
}

int main(int argc, char **argv)
{
	static const struct job jobs[] = {
		{ "po_anon_n0", ANON, 0, 12, "po_a/po_c" },
		{ "po_anon_n1", ANON, 1, 16, NULL },
		{ "po_mbind_n1", MBIND, 1, 4, "po_a/po_b" },
		{ "po_thp_n0", THP, 0, 8, "po_a/po_c" },
		{ "po_shmem_n1", SHMEM, 1, 6, "po_a/po_c" },
		{ "po_churn_n0", CHURN, 0, 8, NULL },
		{ "po_cow_n1", COW, 1, 4, "po_a/po_c" },
		{ "po_pipe_n0", PIPES, 0, 0, "po_a/po_c" },
		{ "po_slab_n1", SLAB, 1, 0, "po_a/po_b" },
		{ "po_movepg_n0", MOVE_PAGES, 0, 4, NULL },
		{ "po_migpg_n0", MIGRATE_PAGES, 0, 4, "po_a/po_c" },
		{ "po_mbmove_n1", MBIND_MOVE, 1, 4, NULL },
		{ "po_thpmove_n0", MBIND_MOVE_THP, 0, 4, NULL },
		{ "po_gone_n0", GONE, 0, 4, "po_gone" },
	};
	int pfd[2], n = sizeof jobs / sizeof jobs[0], ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (argc > 1) cgroot = argv[1];
	if (pipe(pfd)) die("pipe");
	for (int i = 0; i <= n; i++) {
		struct job nomem = { "po_nomem_cpu2", NOMEM_NODE, 2, 4, "po_a/po_c" };
		const struct job *j = i < n ? &jobs[i] : &nomem;
		if (i == n && ncpu < 3) break;  /* only the topology with a memoryless node has CPU 2 */
		pid_t pid = fork();
		if (pid < 0) die("fork");
		if (pid == 0) { close(pfd[0]); ready_fd = pfd[1]; run(j); _exit(0); }
		printf("po_work: %s pid %d node %d %zu MiB cgroup %s\n", j->comm, pid, j->node, j->mb,
		       j->cg ? j->cg : "/");
	}
	close(pfd[1]);
	char buf[512];
	ssize_t r;
	while ((r = read(pfd[0], buf, sizeof buf)) > 0) fwrite(buf, 1, r, stdout);
	while (waitpid(-1, NULL, WNOHANG) > 0) ;  /* reap the cgroup-removal child */
	printf("po_work: all children ready\n");
	return 0;
}
