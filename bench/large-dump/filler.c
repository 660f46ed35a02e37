// SPDX-License-Identifier: GPL-2.0-or-later
// Fills most of a guest's memory with allocations that page_owner records: order-0
// anonymous memory on every node, transparent huge pages, and tmpfs page cache, from
// several processes. Returns once everything is touched; the children stay paused.
//   filler MIB_ANON MIB_THP MIB_TMPFS NODES
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1UL << 20)
#define CHUNK_MB 256

static void bind_node(int node)
{
	unsigned long mask = 1UL << node;
	syscall(SYS_set_mempolicy, 2 /* MPOL_BIND */, &mask, 64);
}

static void anon(size_t mb, int thp)
{
	size_t al = 2 * MB, len = mb * MB;
	char *raw = mmap(NULL, len + al, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) { perror("mmap"); _exit(1); }
	char *p = (char *)(((unsigned long)raw + al - 1) & ~(al - 1));
	madvise(p, len, thp ? 14 /* MADV_HUGEPAGE */ : 15 /* MADV_NOHUGEPAGE */);
	for (size_t i = 0; i < len; i += 4096) p[i] = (char)i;
}

static void tmpfs(size_t mb, int n)
{
	char path[64], buf[65536];
	snprintf(path, sizeof path, "/tmp/fill%d", n);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	memset(buf, 0x5a, sizeof buf);
	for (size_t i = 0; i < mb * MB / sizeof buf; i++)
		if (write(fd, buf, sizeof buf) != sizeof buf) { perror("write"); _exit(1); }
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 5) { fprintf(stderr, "usage: filler MIB_ANON MIB_THP MIB_TMPFS NODES\n"); return 2; }
	size_t want[3] = {strtoul(argv[1], 0, 0), strtoul(argv[2], 0, 0), strtoul(argv[3], 0, 0)};
	int nodes = atoi(argv[4]), pfd[2], kids = 0;
	if (pipe(pfd)) return 1;
	for (int kind = 0; kind < 3; kind++)
		for (size_t done = 0; done < want[kind]; done += CHUNK_MB, kids++) {
			size_t mb = want[kind] - done < CHUNK_MB ? want[kind] - done : CHUNK_MB;
			if (fork() == 0) {
				char comm[32];  /* the kernel keeps 15 characters */
				snprintf(comm, sizeof comm, "fill_%s%d", kind == 0 ? "anon" : kind == 1 ? "thp" : "tmpfs", kids % 1000);
				prctl(PR_SET_NAME, comm, 0, 0, 0);
				bind_node(kids % nodes);
				if (kind == 2) tmpfs(mb, kids); else anon(mb, kind == 1);
				if (write(pfd[1], "x", 1) != 1) _exit(1);
				if (kind == 2) _exit(0);  /* the page cache stays */
				for (;;) pause();
			}
		}
	close(pfd[1]);  /* a child killed by the OOM killer must not leave us waiting */
	char c;
	int done = 0;
	while (done < kids && read(pfd[0], &c, 1) == 1) done++;
	printf("filler: %d of %d processes done\n", done, kids);
	return 0;
}
