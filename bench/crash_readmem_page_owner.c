// SPDX-License-Identifier: GPL-2.0-or-later
/* A peer for the benchmark: page_owner read the way a simple crash extension reads it, one
 * readmem() at a time. For every pfn from min_low_pfn to max_pfn: the section's page_ext
 * pointer, the page_ext flags, and for allocated ones the struct page_owner, the page's flags,
 * the stack depot pool, the stack_record's size and entries, each frame symbolized with
 * value_search(). Offsets come from gdb (MEMBER_OFFSET, STRUCT_SIZE). The text is
 * page_owner-like, not the kernel's byte for byte.
 *
 *   crash> extend crash_readmem_page_owner.so
 *   crash> readmem_page_owner [-n pfns] > file
 */
#include "defs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_EXT_INVALID 0x1UL
#define DEPOT_STACK_ALIGN 4
#define OFFSET_BITS 10

static void cmd_readmem_page_owner(void);

static char* help_readmem_page_owner[] = {
    "readmem_page_owner",
    "page_owner records, read one readmem() at a time",
    "[-n pfns]",
    "  Prints every allocated page_owner record of the dump with its stack,",
    "  symbolized by crash. -n stops after that many pfns.",
    NULL,
};

static struct command_table_entry command_table[] = {
    {"readmem_page_owner", cmd_readmem_page_owner, help_readmem_page_owner, 0},
    {NULL, NULL, NULL, 0},
};

/* Offsets, sizes and globals, looked up on the first call. */
static struct {
  int ready;
  long ms_page_ext;
  long ext_flags;
  long po_size;
  long po_order;
  long po_reason;
  long po_gfp_mask;
  long po_handle;
  long po_ts_nsec;
  long po_free_ts_nsec; /* printed on kernels without free_pid (6.1) */
  long po_comm;
  long po_pid;
  long po_tgid;
  long page_flags;
  long sr_size;
  long sr_count; /* -1 before the refcounted stack depot */
  long sr_entries;
  long owner_bit;
  long allocated_bit;
  long never_migrated;
  ulong ext_size;
  ulong owner_offset;
  ulong pools;       /* the address of the array of pool pointers */
  ulong pools_count; /* pools in use */
  int index_bits;
  int index_plus_1;
  ulong min_pfn;
  ulong max_pfn;
} po;

static long member(char* type, char* name) {
  long offset = MEMBER_OFFSET(type, name);
  if (offset < 0) error(FATAL, "no %s.%s in the debug info\n", type, name);
  return offset;
}

static ulong read_ulong(ulong addr, char* what) {
  ulong value = 0;
  readmem(addr, KVADDR, &value, sizeof(value), what, FAULT_ON_ERROR);
  return value;
}

static void setup(void) {
  po.ms_page_ext = member("mem_section", "page_ext");
  po.ext_flags = member("page_ext", "flags");
  po.po_size = STRUCT_SIZE("page_owner");
  if (po.po_size <= 0) error(FATAL, "no struct page_owner in the debug info\n");
  po.po_order = member("page_owner", "order");
  po.po_reason = member("page_owner", "last_migrate_reason");
  po.po_gfp_mask = member("page_owner", "gfp_mask");
  po.po_handle = member("page_owner", "handle");
  po.po_ts_nsec = member("page_owner", "ts_nsec");
  po.po_free_ts_nsec =
      MEMBER_EXISTS("page_owner", "free_pid") ? -1 : MEMBER_OFFSET("page_owner", "free_ts_nsec");
  po.po_comm = member("page_owner", "comm");
  po.po_pid = member("page_owner", "pid");
  po.po_tgid = member("page_owner", "tgid");
  po.page_flags = member("page", "flags");
  po.sr_size = member("stack_record", "size");
  po.sr_count = MEMBER_OFFSET("stack_record", "count");
  po.sr_entries = member("stack_record", "entries");

  if (!enumerator_value("PAGE_EXT_OWNER", &po.owner_bit) ||
      !enumerator_value("PAGE_EXT_OWNER_ALLOCATED", &po.allocated_bit))
    error(FATAL, "no enum page_ext_flags in the debug info\n");
  /* 7.3 has MR_NEVER; earlier kernels use -1. */
  if (!enumerator_value("MR_NEVER", &po.never_migrated)) po.never_migrated = -1;

  po.ext_size = read_ulong(symbol_value("page_ext_size"), "page_ext_size");
  po.owner_offset =
      read_ulong(symbol_value("page_owner_ops") + member("page_ext_operations", "offset"),
                 "page_owner_ops.offset");
  po.min_pfn = read_ulong(symbol_value("min_low_pfn"), "min_low_pfn");
  po.max_pfn = read_ulong(symbol_value("max_pfn"), "max_pfn");

  /* The stack depot: up to 6.2 stack_slabs[] and depot_index, then stack_pools[] and
   * pools_num; since 6.17 stack_pools is a pointer to the array. */
  if (kernel_symbol_exists("stack_slabs")) {
    int depot_index = 0;
    readmem(symbol_value("depot_index"), KVADDR, &depot_index, sizeof(depot_index), "depot_index",
            FAULT_ON_ERROR);
    po.pools = symbol_value("stack_slabs");
    po.pools_count = (ulong)depot_index + 1;
    po.index_bits = MEMBER_EXISTS("handle_parts", "extra") ? 16 : 21;
    po.index_plus_1 = 0;
  } else {
    int pools_num = 0;
    readmem(symbol_value("pools_num"), KVADDR, &pools_num, sizeof(pools_num), "pools_num",
            FAULT_ON_ERROR);
    po.pools_count = (ulong)pools_num;
    po.pools = symbol_value("stack_pools");
    if (get_symbol_type("stack_pools", NULL, NULL) == TYPE_CODE_PTR)
      po.pools = read_ulong(po.pools, "stack_pools");
    po.index_plus_1 = MEMBER_EXISTS("handle_parts", "pool_index_plus_1");
    po.index_bits = po.index_plus_1 ? 17 : 16;
  }
  po.ready = 1;
}

static void print_stack(uint32_t handle) {
  ulong index = handle & ((1UL << po.index_bits) - 1);
  ulong offset = ((handle >> po.index_bits) & ((1UL << OFFSET_BITS) - 1)) << DEPOT_STACK_ALIGN;
  ulong pool, record, offset_in_symbol;
  uint32_t size;
  ulong entries[64];
  struct syment* sym;

  if (po.index_plus_1) {
    if (index == 0) return;
    index--;
  }
  if (index >= po.pools_count) return;
  if (!readmem(po.pools + index * sizeof(ulong), KVADDR, &pool, sizeof(pool), "stack pool",
               RETURN_ON_ERROR | QUIET) ||
      !pool)
    return;
  record = pool + offset;
  if (po.sr_count >= 0) {
    int count = 0;
    if (!readmem(record + (ulong)po.sr_count, KVADDR, &count, sizeof(count), "stack_record.count",
                 RETURN_ON_ERROR | QUIET) ||
        count == 0)
      return;
  }
  if (!readmem(record + (ulong)po.sr_size, KVADDR, &size, sizeof(size), "stack_record.size",
               RETURN_ON_ERROR | QUIET))
    return;
  if (size > 64) size = 64;
  if (!readmem(record + (ulong)po.sr_entries, KVADDR, entries, (long)(size * sizeof(ulong)),
               "stack_record.entries", RETURN_ON_ERROR | QUIET))
    return;
  for (uint32_t i = 0; i < size; i++) {
    sym = value_search(entries[i], &offset_in_symbol);
    if (sym)
      fprintf(fp, " %s+0x%lx\n", sym->name, offset_in_symbol);
    else
      fprintf(fp, " 0x%lx\n", entries[i]);
  }
}

static void print_record(ulong pfn, ulong owner) {
  char buf[128];
  ulong page, page_flags = 0;
  uint16_t order;
  int16_t reason;
  uint32_t handle;

  if (!readmem(owner, KVADDR, buf, po.po_size, "page_owner", RETURN_ON_ERROR | QUIET)) return;
  order = USHORT(buf + po.po_order);
  if (pfn & ((1UL << order) - 1)) return; /* a tail page of a higher-order block */
  handle = UINT(buf + po.po_handle);
  if (!handle) return;
  if (phys_to_page(PTOB(pfn), &page))
    readmem(page + (ulong)po.page_flags, KVADDR, &page_flags, sizeof(page_flags), "page.flags",
            RETURN_ON_ERROR | QUIET);

  fprintf(fp, "Page allocated via order %u, mask 0x%x, pid %d, tgid %d (%.16s), ts %llu ns", order,
          UINT(buf + po.po_gfp_mask), INT(buf + po.po_pid), INT(buf + po.po_tgid), buf + po.po_comm,
          (unsigned long long)ULONGLONG(buf + po.po_ts_nsec));
  if (po.po_free_ts_nsec >= 0)
    fprintf(fp, ", free_ts %llu ns", (unsigned long long)ULONGLONG(buf + po.po_free_ts_nsec));
  fprintf(fp, "\nPFN 0x%lx Flags 0x%lx\n", pfn, page_flags);
  print_stack(handle);
  reason = SHORT(buf + po.po_reason);
  if (reason != po.never_migrated && reason >= 0)
    fprintf(fp, "Page has been migrated, last migrate reason: %d\n", reason);
  fprintf(fp, "\n");
}

static void cmd_readmem_page_owner(void) {
  ulong limit = 0, last, ext_base, ext, flags;
  ulong owner_mask, allocated_mask;
  int c;

  while ((c = getopt(argcnt, args, "n:")) != EOF) {
    if (c == 'n')
      limit = stol(optarg, FAULT_ON_ERROR, NULL);
    else
      argerrs++;
  }
  if (argerrs) cmd_usage(pc->curcmd, SYNOPSIS);
  if (!po.ready) setup();
  if (po.po_size > 128) error(FATAL, "struct page_owner is %ld bytes\n", po.po_size);

  owner_mask = 1UL << po.owner_bit;
  allocated_mask = 1UL << po.allocated_bit;
  last = po.max_pfn;
  if (limit && po.min_pfn + limit < last) last = po.min_pfn + limit;
  for (ulong pfn = po.min_pfn; pfn < last; pfn++) {
    ulong section = valid_section_nr(pfn_to_section_nr(pfn));
    if (!section) continue;
    if (!readmem(section + (ulong)po.ms_page_ext, KVADDR, &ext_base, sizeof(ext_base),
                 "mem_section.page_ext", RETURN_ON_ERROR | QUIET))
      continue;
    if (!ext_base || (ext_base & PAGE_EXT_INVALID)) continue;
    ext = ext_base + po.ext_size * pfn;
    if (!readmem(ext + (ulong)po.ext_flags, KVADDR, &flags, sizeof(flags), "page_ext.flags",
                 RETURN_ON_ERROR | QUIET))
      continue;
    if ((flags & owner_mask) && (flags & allocated_mask)) print_record(pfn, ext + po.owner_offset);
  }
}

void __attribute__((constructor)) readmem_page_owner_init(void) {
  register_extension(command_table);
}

void __attribute__((destructor)) readmem_page_owner_fini(void) {}
