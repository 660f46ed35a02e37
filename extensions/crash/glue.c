// SPDX-License-Identifier: GPL-2.0-or-later
/* The crash side of the powner extension: registers the command and its help, and gives the C++
 * side (crash_host.h) memory, symbols, gdb's type answers, VMCOREINFO and crash's output stream.
 *
 * crash ends a command with longjmp() on Ctrl-C, a broken pipe or error(FATAL). That must never
 * cross the C++ frames (their destructors would not run), so while the command runs SIGINT and
 * SIGPIPE only set a flag the C++ side polls, and only calls that return on error are used. */
#include "crash_host.h"
#include "defs.h"

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

static void cmd_powner(void);

/* --- help ------------------------------------------------------------------------------------- */

/* The synopsis is one string on two lines. */
/* NOLINTBEGIN(bugprone-suspicious-missing-comma) */
static char* help_powner[] = {
    "powner",
    "page_owner and page_owner_stacks, as the kernel prints them",
    "[-m mode] [-n nodelist] [--filter command] [-o file] [-j threads] [--exact]\n"
    "       [--json]\n"
    "       [--stacks stacks|handles|stacks_handles [--threshold count]]\n"
    "       top [--by key] [--pid|--tgid|--comm|--memcg|--module|--node ...]\n"
    "           [--since duration] [--until duration] [-n count] [--json|--folded]\n"
    "           [--html file]\n"
    "       sort [-a|-m|-n|-p|-P|-s|-t] [--cull keys] [--pid|--tgid|--name list]\n"
    "           [input [output]]\n"
    "       diff [--by key] [-n count] [--json] [--symbols-a vmlinux] before [after]",
    "  This command prints what the dumped kernel would have printed in",
    "  /sys/kernel/debug/page_owner, byte for byte: for every allocated page",
    "  block, its order, gfp mask, allocating task, timestamps, page flags,",
    "  migrate type, memory cgroup and allocation stack. It needs a kernel built",
    "  with CONFIG_PAGE_OWNER and booted with page_owner=on. The filters are those",
    "  of Linux 7.3's page_owner file (mode= and nid=), applied to any kernel.",
    "  Stack symbols come from the kallsyms tables in the dump, as the kernel's",
    "  own printing shows them (including suffixes such as .isra.0).",
    " ",
    "        -m mode  print mode: \"stack\" (default), \"handle\" (the stack depot",
    "                 handle instead of the stack) or \"stack_handle\" (both).",
    "    -n nodelist  only pages of these NUMA nodes, a node list such as 0,2-3;",
    "                 the nodes must have memory.",
    "  --filter command",
    "                 a filter command as written to the page_owner file, such as",
    "                 \"mode=handle nid=0-1\"; applied after -m and -n.",
    "        -o file  write to file instead of the output stream.",
    "        --exact  print only records whose whole text is in the dump; by",
    "                 default a detail the dump lacks (a memcg's name, a stack)",
    "                 is printed as a placeholder starting with \"?\".",
    "         --json  the records as JSON Lines (docs/json-schema.md) instead of",
    "                 their text; -n and nid= select them, the mode does not matter.",
    "     -j threads  threads reading the dump file (default: the CPUs available;",
    "                 the output is the same). They need a dump file libkdumpfile",
    "                 reads; otherwise powner reads through crash, on one thread.",
    "  --stacks view  print a page_owner_stacks view instead: \"stacks\"",
    "                 (show_stacks), \"handles\" (show_handles) or",
    "                 \"stacks_handles\" (show_stacks_handles), on kernels that have",
    "                 them (6.10 and later).",
    "  --threshold count",
    "                 with --stacks: only stacks holding at least count pages",
    "                 (count_threshold); default: the dump's own value.",
    " ",
    "  A filter the kernel would reject is rejected with the kernel's errno name.",
    "  Pages whose page_owner data is missing from a filtered dump (makedumpfile",
    "  -d) are left out; a record whose memcg name or stack is missing is printed",
    "  with a placeholder (\"Charged to memcg ? (...)\", \" ? (stack not in the",
    "  dump, handle N)\"). Notes, never part of the output, count both. The",
    "  output can be piped, redirected with \">\" and scrolled; Ctrl-C stops it.",
    "  The command works in crash --minimal too.",
    " ",
    "  powner top totals the same records by a key, largest first: by stack",
    "  (default), tgid, memcg, module, order, gfp, migratetype, node, age (time",
    "  before the crash) or allocator (slab, page table, vmalloc, anon, file,",
    "  other); with the share of all pages, the records and the three",
    "  largest tasks of each group; tasks no longer in the task list are marked",
    "  exited. --json gives JSON Lines, --folded folded stacks for flame graphs,",
    "  --html a self-contained page. \"powner top --help\" lists every option.",
    " ",
    "  powner sort is the kernel's tools/mm/page_owner_sort (Linux 7.3) built in,",
    "  with its options and output, on this dump's page_owner text (or on a",
    "  page_owner file given as input). \"powner sort --help\" lists its options.",
    " ",
    "  powner diff compares this dump with an earlier one of the machine (a",
    "  saved \"powner top --json -n 0\", or the dump itself): the groups that",
    "  grew most, then those that shrank. \"powner diff --help\" lists its options.",
    "\nEXAMPLES",
    "  The whole page_owner file, into a file:\n",
    "    crash> powner > page_owner.txt",
    "\n  Node 1 only, with stack handles instead of stacks:\n",
    "    crash> powner -m handle -n 1",
    "\n  The same, written as the kernel's filter command:\n",
    "    crash> powner --filter \"mode=handle nid=1\"",
    "\n  Allocations made by one function:\n",
    "    crash> powner | grep -B 12 alloc_pipe_info",
    "\n  The stacks holding at least 100 pages:\n",
    "    crash> powner --stacks stacks --threshold 100",
    "\n  Who holds the memory: the ten processes with the most pages, and what",
    "  the largest memcg allocated in the last minute before the crash:\n",
    "    crash> powner top --by tgid -n 10",
    "    crash> powner top --memcg po_c --since 1m",
    "\n  page_owner_sort's culled output: records by stack, with their counts:\n",
    "    crash> powner sort --cull stacktrace | head -40",
    "\n  What grew since a saved powner top --json of an earlier dump:\n",
    "    crash> powner diff --by memcg before.json",
    NULL};
/* NOLINTEND(bugprone-suspicious-missing-comma) */

static struct command_table_entry command_table[] = {
    {"powner", cmd_powner, help_powner, MINIMAL}, /* crash --minimal too: memory, symbols, gdb */
    {NULL, NULL, NULL, 0},
};

static void __attribute__((constructor)) powner_init(void) {
  register_extension(command_table);
}

static void __attribute__((destructor)) powner_fini(void) {
  powner_unload();
}

/* --- the command's signal and dump state ---------------------------------------------------- */

static FILE* gdb_out; /* gdb's answers land here; one file per command */
static volatile sig_atomic_t interrupted;
static int in_command;
static struct sigaction saved_sigint, saved_sigpipe;

static void on_signal(int sig) {
  interrupted = sig;
}

static void catch_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART; /* crash's own reads of the dump must not fail with EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGPIPE, &sa, NULL);
}

/* gdb_interface() puts crash's own SIGINT handler back after every gdb request. */
static void rearm(void) {
  if (in_command) catch_signals();
}

int powner_crash_interrupted(void) {
  return interrupted != 0;
}

static void cmd_powner(void) {
  int zero_excluded_diskdump = 0, zero_excluded_sadump = 0, outcome;

  /* A missing page must read as missing, not as zeros: the engine leaves such records out. */
  if (diskdump_flags && (*diskdump_flags & ZERO_EXCLUDED)) {
    zero_excluded_diskdump = 1;
    *diskdump_flags &= ~ZERO_EXCLUDED;
  }
  if (sadump_is_zero_excluded()) {
    zero_excluded_sadump = 1;
    sadump_unset_zero_excluded();
  }
  sigaction(SIGINT, NULL, &saved_sigint);
  sigaction(SIGPIPE, NULL, &saved_sigpipe);
  interrupted = 0;
  in_command = 1;
  catch_signals();

  outcome = powner_command(argcnt, args);

  if (interrupted) __fpurge(fp); /* what was stopped stays stopped: no tail at the next prompt */
  fflush(fp);
  if (gdb_out) {
    fclose(gdb_out);
    gdb_out = NULL;
  }
  in_command = 0;
  sigaction(SIGINT, &saved_sigint, NULL);
  sigaction(SIGPIPE, &saved_sigpipe, NULL);
  if (zero_excluded_diskdump) *diskdump_flags |= ZERO_EXCLUDED;
  if (zero_excluded_sadump) sadump_set_zero_excluded();
  if (interrupted == SIGINT) fprintf(stderr, "\n"); /* as crash does after ^C */
  if (outcome == 2)
    cmd_usage(pc->curcmd, COMPLETE_HELP);
  else if (outcome == 1)
    cmd_usage(pc->curcmd, SYNOPSIS); /* crash's way: the synopsis, then back to the prompt */
}

/* --- services --------------------------------------------------------------------------------- */

int powner_crash_read(uint64_t addr, void* buf, size_t len) {
  return readmem(addr, KVADDR, buf, (long)len, "powner", RETURN_ON_ERROR | QUIET) ? 1 : 0;
}

const char* powner_crash_dumpfile(void) {
  return DUMPFILE() && !REMOTE_DUMPFILE() ? pc->dumpfile : NULL;
}

const char* powner_crash_namelist(void) {
  return pc->namelist_debug ? pc->namelist_debug : pc->namelist;
}

int powner_crash_gdb(const char* command, char** out) {
  char* cmd;
  long size;
  int ok;

  *out = NULL;
  if (!gdb_out && !(gdb_out = tmpfile())) return 0;
  rewind(gdb_out);
  if (ftruncate(fileno(gdb_out), 0) != 0) return 0;
  cmd = strdup(command);
  if (!cmd) return 0;
  ok = gdb_pass_through(cmd, gdb_out, GNU_RETURN_ON_ERROR);
  free(cmd);
  rearm();
  if (!ok) return 0;
  fflush(gdb_out);
  size = ftell(gdb_out);
  if (size < 0 || !(*out = malloc((size_t)size + 1))) return 0;
  rewind(gdb_out);
  if (fread(*out, 1, (size_t)size, gdb_out) != (size_t)size) {
    free(*out);
    *out = NULL;
    return 0;
  }
  (*out)[size] = '\0';
  return 1;
}

int powner_crash_symbols(const char* name, int global_only, uint64_t* out, size_t max) {
  struct syment* sp;
  char* key = strdup(name);
  size_t n = 0;

  if (!key) return 0;
  for (sp = symbol_search(key); sp; sp = symbol_search_next(key, sp)) {
    /* nm's letters: upper case for external symbols, 'U' for undefined ones. */
    if (sp->type == 'U' || sp->type == 'u' ||
        (global_only && !(sp->type >= 'A' && sp->type <= 'Z')))
      continue;
    if (n < max) out[n] = sp->value;
    n++;
  }
  free(key);
  return n > INT_MAX ? INT_MAX : (int)n;
}

int powner_crash_enumerator(const char* name, int64_t* value) {
  long v;
  char* key = strdup(name);
  int ok;

  if (!key) return 0;
  ok = enumerator_value(key, &v);
  free(key);
  rearm();
  if (ok) *value = v;
  return ok ? 1 : 0;
}

char* powner_crash_vmcoreinfo(const char* key) {
  char* value = pc->read_vmcoreinfo ? pc->read_vmcoreinfo(key) : NULL;
  rearm(); /* it may read the kernel's copy, asking gdb for its type */
  return value;
}

FILE* powner_crash_output(void) {
  return fp;
}

void powner_crash_error(const char* line) {
  error(INFO, "%s\n", line);
}

void powner_crash_debug(const char* line) {
  if (CRASHDEBUG(1)) powner_crash_note(line);
}

void powner_crash_note(const char* line) {
  fprintf(pc->error_fp ? pc->error_fp : stderr, "%s: %s\n", pc->curcmd, line);
  fflush(pc->error_fp ? pc->error_fp : stderr);
}
