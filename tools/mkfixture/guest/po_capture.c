// SPDX-License-Identifier: GPL-2.0-or-later
// Quiet capture of page_owner outputs in the fixture guest.
//   po_capture PLAN SHM [crash]      (SHM: the ivshmem BAR, /sys/bus/pci/devices/.../resource2)
// PLAN lines (read before anything is captured):
//   view NAME PATH [THRESHOLD]   read PATH; with THRESHOLD, write it to count_threshold first
//   filter NAME COMMAND...       open page_owner read-write, write COMMAND, read to the end
//   reject NAME COMMAND...       open page_owner read-write, write COMMAND, record the errno
//   full NAME                    plain reads A, B, C of page_owner; A is kept, all must agree
//   kcore NAME PROGRAM ARGS...   PROGRAM (powner on /proc/kcore) run twice to settle its own
//                                file pages, then: page_owner read (NAME.before), PROGRAM run
//                                with its output piped here (NAME, NAME.stderr), page_owner read
//                                again right after it exits (NAME.after); done last
// Every capture is stored in SHM as "POWNER-FRAME <name> <length>\n<bytes>" from offset 4096;
// the last frame, "results", has one line per capture ("<name> ok <bytes>" or "<name> errno
// <n> <text>"); offset 0 gets "POWNER-SHM <end>\n" once everything is stored.
// Nothing forks or execs here, and nothing leaves the guest through the kernel: the
// captures go to a QEMU ivshmem region mapped into this process, which the host reads
// after the guest is gone. Everything is opened, allocated, prefaulted and locked before
// the first read and the per-CPU LRU batches are drained, so the kernel's page state
// stays as it was read until the crash.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ITEMS 96
#define BUF_SIZE (32UL << 20)
#define READ_CHUNK 65536
#define PAGE_OWNER "/sys/kernel/debug/page_owner"
#define THRESHOLD "/sys/kernel/debug/page_owner_stacks/count_threshold"

enum what { VIEW, FILTER, REJECT, FULL, KCORE };
/* fd[0] for the capture, fd[1] for the re-read: debugfs attribute files cannot seek */
struct item { enum what what; char name[64]; char arg[256]; long threshold; int fd[2];
	      long len; unsigned long long hash; };

static struct item items[MAX_ITEMS];
#define MAX_THRESHOLD_WRITES 32
static int nitems, sysrq_fd = -1;
static int threshold_fds[MAX_THRESHOLD_WRITES], nthreshold_fds, threshold_used;
static char *buf_x, *buf_y, *results;
/* the kcore item: the program's argv, and for each run (two warm-ups, then the real one) its
 * stdout and stderr pipes and spawn actions, all made before the first read */
#define KCORE_RUNS 3
#define MAX_ARGS 16
#define ERR_SIZE (1L << 20)
static char *buf_err;
static int kcore_planned;
static char *kcore_argv[MAX_ARGS + 1];
static int kcore_pipes[KCORE_RUNS][2][2];
static posix_spawn_file_actions_t kcore_actions[KCORE_RUNS];
extern char **environ;
static int full_c_fd = -1;
static size_t results_len;

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "po_capture: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	exit(1);
}

static char *shm;
static size_t shm_size, shm_pos = 4096;

static void frame(const char *name, const char *p, size_t n)
{
	char hdr[128];
	int h = snprintf(hdr, sizeof hdr, "POWNER-FRAME %s %zu\n", name, n);
	if (shm_pos + (size_t)h + n > shm_size) fail("shared memory too small for %s", name);
	memcpy(shm + shm_pos, hdr, (size_t)h);
	memcpy(shm + shm_pos + h, p, n);
	shm_pos += (size_t)h + n;
}

static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	results_len += (size_t)vsnprintf(results + results_len, (1 << 20) - results_len, fmt, ap);
	va_end(ap);
}

static unsigned long long fnv1a(const char *p, long n)
{
	unsigned long long h = 1469598103934665603ULL;
	for (long i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* Read a freshly opened file to EOF the way cat does; returns length or -errno. */
static long slurp(int fd, char *buf)
{
	size_t len = 0;
	for (;;) {
		if (len + READ_CHUNK > BUF_SIZE) return -EFBIG;
		ssize_t r = read(fd, buf + len, READ_CHUNK);
		if (r == 0) return (long)len;
		if (r < 0) { if (errno == EINTR) continue; return -errno; }
		len += (size_t)r;
	}
}

static void set_threshold(long t)
{
	char s[32];
	int n = snprintf(s, sizeof s, "%ld", t);
	if (threshold_used == nthreshold_fds) fail("out of count_threshold descriptors");
	if (write(threshold_fds[threshold_used++], s, (size_t)n) != n)
		fail("count_threshold: %s", strerror(errno));
}

/* Pipes and spawn actions for every run of the kcore program, made up front: nothing the
 * capture process does between the reads may allocate. */
static void prepare_kcore_runs(void)
{
	for (int r = 0; r < KCORE_RUNS; r++) {
		posix_spawn_file_actions_t *a = &kcore_actions[r];
		for (int k = 0; k < 2; k++)
			if (pipe2(kcore_pipes[r][k], O_CLOEXEC)) fail("pipe: %s", strerror(errno));
		posix_spawn_file_actions_init(a);
		posix_spawn_file_actions_adddup2(a, kcore_pipes[r][0][1], 1);
		posix_spawn_file_actions_adddup2(a, kcore_pipes[r][1][1], 2);
	}
}

static void parse_plan(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	if (!f) fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f)) {
		char kind[16], name[64], rest[256] = "";
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#') continue;
		if (nitems == MAX_ITEMS) fail("plan too long");
		if (sscanf(line, "%15s %63s %255[^\n]", kind, name, rest) < 2) fail("bad plan line: %s", line);
		struct item *it = &items[nitems++];
		snprintf(it->name, sizeof it->name, "%s", name);
		it->threshold = -1;
		if (!strcmp(kind, "view")) {
			it->what = VIEW;
			if (sscanf(rest, "%255s %ld", it->arg, &it->threshold) < 1) fail("view needs a path");
			for (int k = 0; k < 2; k++) it->fd[k] = open(it->arg, O_RDONLY);
		} else if (!strcmp(kind, "filter") || !strcmp(kind, "reject")) {
			it->what = kind[0] == 'f' ? FILTER : REJECT;
			snprintf(it->arg, sizeof it->arg, "%s", rest);
			it->fd[0] = open(PAGE_OWNER, O_RDWR);
			it->fd[1] = 0;
		} else if (!strcmp(kind, "full")) {
			it->what = FULL;
			for (int k = 0; k < 2; k++) it->fd[k] = open(PAGE_OWNER, O_RDONLY);
		} else if (!strcmp(kind, "kcore")) {
			it->what = KCORE;
			snprintf(it->arg, sizeof it->arg, "%s", rest);
			int argc = 0;
			for (char *tok = strtok(it->arg, " "); tok; tok = strtok(NULL, " "))
				if (argc < MAX_ARGS) kcore_argv[argc++] = tok;
			if (!argc) fail("kcore needs a program");
			prepare_kcore_runs();
			kcore_planned = 1;
			for (int k = 0; k < 2; k++) it->fd[k] = open(PAGE_OWNER, O_RDONLY);
		} else {
			fail("unknown plan item %s", kind);
		}
		if (it->fd[0] < 0 || it->fd[1] < 0) fail("open for %s: %s", name, strerror(errno));
	}
	fclose(f);
}

/* Run the kcore program (run r), its stdout into out (up to BUF_SIZE) and its stderr into err
 * (up to ERR_SIZE); returns its wait status, its pid in *pid. It runs on every CPU, as a user's would. */
static int run_kcore(int r, char *out, long *out_len, char *err, long *err_len, pid_t *pid)
{
	cpu_set_t all, one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE; c++) CPU_SET(c, &all);
	sched_setaffinity(0, sizeof all, &all);
	int e = posix_spawn(pid, kcore_argv[0], &kcore_actions[r], NULL, kcore_argv, environ);
	sched_setaffinity(0, sizeof one, &one);
	if (e) fail("spawn %s: %s", kcore_argv[0], strerror(e));
	close(kcore_pipes[r][0][1]);
	close(kcore_pipes[r][1][1]);
	struct pollfd p[2] = {{kcore_pipes[r][0][0], POLLIN, 0}, {kcore_pipes[r][1][0], POLLIN, 0}};
	char *dst[2] = {out, err};
	long *len[2] = {out_len, err_len}, cap[2] = {(long)BUF_SIZE, ERR_SIZE};
	*out_len = *err_len = 0;
	for (int open_ends = 2; open_ends;) {
		if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; fail("poll: %s", strerror(errno)); }
		for (int k = 0; k < 2; k++) {
			if (!p[k].revents) continue;
			ssize_t n = 0;
			if (*len[k] < cap[k]) n = read(p[k].fd, dst[k] + *len[k], (size_t)(cap[k] - *len[k]));
			if (n > 0) { *len[k] += n; continue; }
			if (n < 0 && errno == EINTR) continue;
			if (n < 0 || *len[k] >= cap[k]) fail("kcore output: %s", n < 0 ? strerror(errno) : "too long");
			close(p[k].fd);
			p[k].fd = -1;
			open_ends--;
		}
	}
	int status;
	while (waitpid(*pid, &status, 0) < 0)
		if (errno != EINTR) fail("waitpid: %s", strerror(errno));
	return status;
}

static void capture_kcore(struct item *it)
{
	char name[96];
	long before, out_len, err_len, after;
	pid_t pid;
	int status;
	before = slurp(it->fd[0], buf_x);
	if (before < 0) fail("page_owner: %s", strerror((int)-before));
	snprintf(name, sizeof name, "%s.before", it->name);
	frame(name, buf_x, (size_t)before);
	status = run_kcore(KCORE_RUNS - 1, buf_x, &out_len, buf_err, &err_len, &pid);
	after = slurp(it->fd[1], buf_y);  /* right after it exits: nothing in between */
	if (after < 0) fail("page_owner: %s", strerror((int)-after));
	frame(it->name, buf_x, (size_t)out_len);
	snprintf(name, sizeof name, "%s.stderr", it->name);
	frame(name, buf_err, (size_t)err_len);
	snprintf(name, sizeof name, "%s.after", it->name);
	frame(name, buf_y, (size_t)after);
	note("%s pid %d\n", it->name, (int)pid);
	note("%s status %d\n", it->name, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	note("%s ok %ld\n", it->name, out_len);
}

/* Adding F_SEAL_WRITE to a memfd whose page sits in another CPU's LRU batch makes the
 * kernel run lru_add_drain_all(): pending PG_lru/active changes land now, not later. */
static void *touch_memfd(void *arg)
{
	int fd = *(int *)arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof set, &set);
	if (pwrite(fd, "x", 1, 0) != 1) fail("memfd write");
	return NULL;
}

static void drain_lru_batches(void)
{
	for (int round = 0; round < 2; round++) {
		int fd = memfd_create("po_drain", MFD_ALLOW_SEALING);
		pthread_t t;
		if (fd < 0) fail("memfd_create: %s", strerror(errno));
		pthread_create(&t, NULL, touch_memfd, &fd);
		pthread_join(t, NULL);
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)) fail("F_SEAL_WRITE: %s", strerror(errno));
		close(fd);
	}
}

static void capture(struct item *it, char *buf, int send)
{
	long n;
	if (it->what == FILTER || it->what == REJECT) {
		ssize_t w = write(it->fd[0], it->arg, strlen(it->arg));
		if (w < 0) { note("%s errno %d %s\n", it->name, errno, strerror(errno)); return; }
		if (it->what == REJECT) { note("%s accepted\n", it->name); return; }
	}
	if (it->threshold >= 0) set_threshold(it->threshold);
	n = slurp(it->fd[0], buf);
	if (it->threshold >= 0) set_threshold(0);
	if (n < 0) { note("%s errno %ld %s\n", it->name, -n, strerror((int)-n)); return; }
	note("%s ok %ld\n", it->name, n);
	it->len = n;
	it->hash = fnv1a(buf, n);
	if (send) frame(it->name, buf, (size_t)n);
}

static char *huge_buffer(size_t len)
{
	size_t al = 2UL << 20;
	char *raw = mmap(NULL, len + al, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) fail("mmap: %s", strerror(errno));
	char *p = (char *)(((unsigned long)raw + al - 1) & ~(al - 1));
	madvise(p, len, MADV_HUGEPAGE);
	/* not zeros: the THP shrinker splits huge pages whose subpages are mostly zero
	 * and frees those subpages under memory pressure */
	memset(p, 0x5a, len);
	return p;
}

int main(int argc, char **argv)
{
	cpu_set_t set;
	if (argc < 3) fail("usage: po_capture PLAN PORT [crash]");
	int crash = argc > 3 && !strcmp(argv[3], "crash");

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set)) fail("sched_setaffinity: %s", strerror(errno));
	parse_plan(argv[1]);
	int shm_fd = open(argv[2], O_RDWR | O_SYNC);
	if (shm_fd < 0) fail("%s: %s", argv[2], strerror(errno));
	/* the BAR's size: fstat, since 6.1's lseek(SEEK_END) on PCI resource files gives 0
	 * (it asks the iomem inode, fixed in 6.2 by a resource llseek) */
	struct stat st;
	if (fstat(shm_fd, &st) == 0 && st.st_size > 0) shm_size = (size_t)st.st_size;
	else shm_size = (size_t)lseek(shm_fd, 0, SEEK_END);
	shm = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (shm == MAP_FAILED) fail("mmap %s: %s", argv[2], strerror(errno));
	for (int i = 0; i < MAX_THRESHOLD_WRITES; i++)
		if ((threshold_fds[nthreshold_fds] = open(THRESHOLD, O_WRONLY)) >= 0) nthreshold_fds++;
	if ((full_c_fd = open(PAGE_OWNER, O_RDONLY)) < 0) fail("open page_owner: %s", strerror(errno));
	if (crash && (sysrq_fd = open("/proc/sysrq-trigger", O_WRONLY)) < 0) fail("sysrq-trigger");
	memset(shm, 0, shm_size);  /* fault the whole region in now */

	/* huge pages: a few order-9 records instead of thousands of buffer pages */
	buf_x = huge_buffer(BUF_SIZE);
	buf_y = huge_buffer(BUF_SIZE);
	results = huge_buffer(1 << 20);
	if (kcore_planned) buf_err = huge_buffer(ERR_SIZE);
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) fail("mlockall: %s", strerror(errno));

	/* the kcore program's warm-up runs: its binary's and libraries' page-cache pages get
	 * their LRU state (referenced, active) now, not between the reads */
	for (int r = 0; kcore_planned && r < KCORE_RUNS - 1; r++) {
		long out_len, err_len;
		pid_t pid;
		int status = run_kcore(r, buf_x, &out_len, buf_err, &err_len, &pid);
		note("warm-up %d status %d output %ld\n", r, WIFEXITED(status) ? WEXITSTATUS(status) : -1, out_len);
	}
	drain_lru_batches();
	sleep(3);  /* the drain thread's stack and task are freed through RCU: let that finish */

	/* Views first, read twice: their seq_file buffers come from kvmalloc and move kmalloc
	 * slab pages on and off their partial lists, so nothing may read a view between two
	 * page_owner reads. Then the filters and rejected writes, then the full reads. */
	for (int i = 0; i < nitems; i++)
		if (items[i].what == VIEW) capture(&items[i], buf_x, 1);
	for (int i = 0; i < nitems; i++) {
		struct item *it = &items[i];
		if (it->what != VIEW) continue;
		if (it->threshold >= 0) set_threshold(it->threshold);
		long a = slurp(it->fd[1], buf_y);
		if (it->threshold >= 0) set_threshold(0);
		int same = a == it->len && fnv1a(buf_y, a) == it->hash;
		note("%s again %s\n", it->name, same ? "same" : "changed");
		if (!same && a >= 0) {
			char name[80];
			snprintf(name, sizeof name, "%s.again", it->name);
			frame(name, buf_y, (size_t)a);
		}
	}
	for (int i = 0; i < nitems; i++)
		if (items[i].what == FILTER || items[i].what == REJECT) capture(&items[i], buf_x, 1);
	for (int i = 0; i < nitems; i++) {
		struct item *it = &items[i];
		if (it->what != FULL) continue;
		long a = slurp(it->fd[0], buf_x), b = slurp(it->fd[1], buf_y);
		if (a < 0 || b < 0) { note("%s errno %ld\n", it->name, a < 0 ? -a : -b); continue; }
		frame(it->name, buf_x, (size_t)a);
		note("%s ok %ld\n", it->name, a);
		note("%s A==B %s\n", it->name, a == b && !memcmp(buf_x, buf_y, (size_t)a) ? "yes" : "no");
		long c = slurp(full_c_fd, buf_y);
		note("%s A==C %s\n", it->name, a == c && !memcmp(buf_x, buf_y, (size_t)a) ? "yes" : "no");
	}
	for (int i = 0; i < nitems; i++)  /* last: it changes what the others read */
		if (items[i].what == KCORE) capture_kcore(&items[i]);
	frame("results", results, results_len);
	char head[64];
	int h = snprintf(head, sizeof head, "POWNER-SHM %zu\n", shm_pos);
	memcpy(shm, head, (size_t)h);
	msync(shm, shm_size, MS_SYNC);
	if (crash && write(sysrq_fd, "c", 1) != 1) fail("sysrq: %s", strerror(errno));
	if (!crash) for (;;) pause();  /* the host stops the guest and dumps it */
	return 0;
}
