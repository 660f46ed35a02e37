// SPDX-License-Identifier: GPL-2.0-or-later
/* The crash services the extension uses, as plain C functions. crash's defs.h is C only (it uses
 * C++ keywords as names), so glue.c is the one file that includes it and the C++ side sees only
 * this. Nothing here ever leaves through error(FATAL) or a longjmp. */
#ifndef POWNER_CRASH_HOST_H
#define POWNER_CRASH_HOST_H

#ifdef __cplusplus
#include <cstddef>
#include <cstdint>
#include <cstdio>
#else
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Copies len bytes of kernel virtual memory at addr into buf. 0 when any byte is unavailable
 * (excluded from the dump, unmapped); never prints. */
int powner_crash_read(uint64_t addr, void* buf, size_t len);

/* The dump file crash reads (for the engine's own readers on other threads), or NULL when crash
 * reads a live system or a remote dump. */
const char* powner_crash_dumpfile(void);

/* The file crash reads the kernel's debug info from: the separate debug file when crash was given
 * one, else the vmlinux (NULL when crash has neither). */
const char* powner_crash_namelist(void);

/* Runs one gdb command. On success returns 1 and its output, NUL-terminated and malloc'd, in
 * *out (the caller frees it); 0 when gdb reports an error (nothing printed). */
int powner_crash_gdb(const char* command, char** out);

/* Addresses of the symbols called name in crash's symbol table, global (external) ones only when
 * global_only; at most max of them in out. Returns how many were found. */
int powner_crash_symbols(const char* name, int global_only, uint64_t* out, size_t max);

/* The value of enumerator name; 0 when it is not one. */
int powner_crash_enumerator(const char* name, int64_t* value);

/* A VMCOREINFO value from the dump's note (malloc'd; the caller frees it), or NULL. */
char* powner_crash_vmcoreinfo(const char* key);

/* crash's output stream: a terminal, its pager, a pipe or a redirection file. */
FILE* powner_crash_output(void);

/* An error line in crash's style ("powner: ..."), through error(INFO). */
void powner_crash_error(const char* line);

/* A note for the user that must not mix with the output (which may be a file): the error
 * stream only, "powner: ..." */
void powner_crash_note(const char* line);

/* A note for whoever debugs the extension: as powner_crash_note(), only at crash's debug level 1
 * and above ("set debug 1", crash -d1). */
void powner_crash_debug(const char* line);

/* True once Ctrl-C was pressed or the output's reader went away during this command. */
int powner_crash_interrupted(void);

/* The command itself, implemented in C++: 0 done (or reported an error), 1 bad usage (the
 * caller shows the synopsis), 2 help asked for. Never throws. */
int powner_command(int argc, char** argv);

/* Frees what the C++ side keeps between commands (the extension is being unloaded). */
void powner_unload(void);

#ifdef __cplusplus
}
#endif

#endif
