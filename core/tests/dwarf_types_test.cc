// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/readers/dwarf_types.h"
#include "powner/status.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

// Expected values are what the 7.3 fixture kernel has (checked with pahole); the config
// bits they depend on: CONFIG_NR_CPUS=8, CONFIG_NODES_SHIFT=6, CONFIG_STACKDEPOT_MAX_FRAMES=64,
// CONFIG_PAGE_OWNER=y, no HUGETLBFS/CMA/MEMORY_ISOLATION (NR_PAGEFLAGS 21, 3 zones).

namespace powner {
namespace {

namespace fs = std::filesystem;

// $POWNER_FIXTURES/RELEASE/vmlinux (the debug-only image), else 7.3's kernel build tree.
std::string fixture_vmlinux(std::string_view release = "7.3") {
  if (const char* dir = std::getenv("POWNER_FIXTURES"); dir != nullptr && *dir != '\0') {
    fs::path p = fs::path(dir) / release / "vmlinux";
    if (fs::exists(p)) return p.string();
  }
  if (release != "7.3") return {};
  const char* build = "/work/kbuild/7.3/linux-source-7.3/vmlinux";
  if (fs::exists(build)) return build;
  return {};
}

constexpr uint64_t kKaslr = 0x1a000000;

class dwarfTypes73 : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    path_ = fixture_vmlinux();
    if (path_.empty()) return;
    types_ = new DwarfTypes(path_, 0);
    slid_ = new DwarfTypes(path_, kKaslr);
  }
  static void TearDownTestSuite() {
    delete types_;
    delete slid_;
    types_ = slid_ = nullptr;
  }
  void SetUp() override {
    if (types_ == nullptr) GTEST_SKIP() << "no 7.3 vmlinux (set POWNER_FIXTURES)";
  }

  static uint64_t offset(std::string_view type, std::string_view member) {
    auto m = types_->member(type, member);
    EXPECT_TRUE(m) << type << "." << member;
    return m ? m->offset : ~uint64_t{0};
  }

  static std::string path_;
  static DwarfTypes* types_;
  static DwarfTypes* slid_;
};

std::string dwarfTypes73::path_;
DwarfTypes* dwarfTypes73::types_ = nullptr;
DwarfTypes* dwarfTypes73::slid_ = nullptr;

TEST_F(dwarfTypes73, BuildIdAndRelease) {
  std::string id = types_->build_id();
  ASSERT_EQ(id.size(), 40U);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  // Only a full image has .rodata; the debug-only fixture gives "".
  std::string release = types_->release();
  if (!release.empty()) {
    EXPECT_EQ(release.rfind("7.3", 0), 0U) << release;
  }
}

TEST_F(dwarfTypes73, PageOwner) {
  const std::string_view po = "struct page_owner";
  EXPECT_EQ(types_->size_of(po), 64U);
  EXPECT_EQ(offset(po, "order"), 0U);
  EXPECT_EQ(offset(po, "last_migrate_reason"), 2U);
  EXPECT_EQ(offset(po, "gfp_mask"), 4U);
  EXPECT_EQ(offset(po, "handle"), 8U);
  EXPECT_EQ(offset(po, "free_handle"), 12U);
  EXPECT_EQ(offset(po, "ts_nsec"), 16U);
  EXPECT_EQ(offset(po, "free_ts_nsec"), 24U);
  EXPECT_EQ(offset(po, "pid"), 48U);
  EXPECT_EQ(offset(po, "tgid"), 52U);
  EXPECT_EQ(offset(po, "free_pid"), 56U);
  EXPECT_EQ(offset(po, "free_tgid"), 60U);

  auto order = types_->member(po, "order");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->size, 2U);
  EXPECT_EQ(order->kind, TypeKind::Integer);
  EXPECT_EQ(order->bit_size, 0U);

  auto comm = types_->member(po, "comm");
  ASSERT_TRUE(comm);
  EXPECT_EQ(comm->offset, 32U);
  EXPECT_EQ(comm->kind, TypeKind::Array);
  EXPECT_EQ(comm->array_length, 16U);
  EXPECT_EQ(comm->element_size, 1U);
  EXPECT_EQ(comm->size, 16U);
}

TEST_F(dwarfTypes73, PageExt) {
  EXPECT_EQ(types_->size_of("struct page_ext"), 8U);
  EXPECT_EQ(offset("struct page_ext", "flags"), 0U);
  EXPECT_EQ(offset("struct page_ext_operations", "offset"), 0U);
  EXPECT_EQ(types_->enumerator("PAGE_EXT_OWNER"), 0);
  EXPECT_EQ(types_->enumerator("PAGE_EXT_OWNER_ALLOCATED"), 1);
}

TEST_F(dwarfTypes73, StackRecord) {
  const std::string_view rec = "struct stack_record";
  EXPECT_EQ(types_->size_of(rec), 544U);
  EXPECT_EQ(offset(rec, "size"), 20U);
  EXPECT_EQ(offset(rec, "handle"), 24U);
  EXPECT_EQ(offset(rec, "count"), 28U);
  // entries[] sits in an anonymous union with the free-list fields.
  auto entries = types_->member(rec, "entries");
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->offset, 32U);
  EXPECT_EQ(entries->kind, TypeKind::Array);
  EXPECT_EQ(entries->array_length, 64U);
  EXPECT_EQ(entries->element_size, 8U);
  EXPECT_EQ(offset(rec, "rcu_state"), 48U);
}

TEST_F(dwarfTypes73, HandlePartsBitfields) {
  // u32 pool_index_plus_1:17, offset:10, extra:5 in an anonymous struct.
  auto index = types_->member("union handle_parts", "pool_index_plus_1");
  auto off = types_->member("union handle_parts", "offset");
  auto extra = types_->member("union handle_parts", "extra");
  ASSERT_TRUE(index && off && extra);
  EXPECT_EQ(index->offset, 0U);
  EXPECT_EQ(index->size, 4U);
  EXPECT_EQ(index->bit_offset, 0U);
  EXPECT_EQ(index->bit_size, 17U);
  EXPECT_EQ(off->offset, 0U);
  EXPECT_EQ(off->bit_offset, 17U);
  EXPECT_EQ(off->bit_size, 10U);
  EXPECT_EQ(extra->bit_offset, 27U);
  EXPECT_EQ(extra->bit_size, 5U);
  EXPECT_FALSE(types_->member("union handle_parts", "slabindex")); // 6.1 only
}

TEST_F(dwarfTypes73, MemSection) {
  EXPECT_EQ(types_->size_of("struct mem_section"), 32U);
  EXPECT_EQ(offset("struct mem_section", "section_mem_map"), 0U);
  EXPECT_EQ(offset("struct mem_section", "usage"), 8U);
  auto page_ext = types_->member("struct mem_section", "page_ext");
  ASSERT_TRUE(page_ext);
  EXPECT_EQ(page_ext->offset, 16U);
  EXPECT_EQ(page_ext->kind, TypeKind::Pointer);
  EXPECT_EQ(page_ext->size, 8U);
  EXPECT_EQ(page_ext->element_size, 8U); // sizeof(struct page_ext)
  // unsigned long pageblock_flags[0]: a zero-length array.
  auto flags = types_->member("struct mem_section_usage", "pageblock_flags");
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->kind, TypeKind::Array);
  EXPECT_EQ(flags->array_length, 0U);
  EXPECT_EQ(flags->size, 0U);
  EXPECT_EQ(flags->element_size, 8U);
}

TEST_F(dwarfTypes73, Page) {
  EXPECT_EQ(types_->size_of("struct page"), 64U);
  auto flags = types_->member("struct page", "flags");
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->offset, 0U);
  EXPECT_EQ(flags->size, 8U);
  EXPECT_EQ(flags->kind, TypeKind::Struct); // memdesc_flags_t since 7.2
  auto f = types_->member("struct page", "flags.f");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->offset, 0U);
  EXPECT_EQ(f->kind, TypeKind::Integer);
  EXPECT_EQ(types_->size_of("memdesc_flags_t"), 8U);

  // Members of anonymous structs and unions, found as C finds them.
  auto page_type = types_->member("struct page", "page_type");
  ASSERT_TRUE(page_type);
  EXPECT_EQ(page_type->offset, 48U);
  EXPECT_EQ(page_type->size, 4U);
  EXPECT_EQ(page_type->kind, TypeKind::Integer);
  EXPECT_EQ(offset("struct page", "_mapcount"), 48U);
  EXPECT_EQ(offset("struct page", "private"), 40U);
  EXPECT_EQ(offset("struct page", "compound_info"), 8U);
  EXPECT_EQ(offset("struct page", "memcg_data"), 56U);
  EXPECT_FALSE(types_->member("struct page", "compound_head")); // renamed in 7.2
}

TEST_F(dwarfTypes73, NestedPaths) {
  auto cgroup = types_->member("struct mem_cgroup", "css.cgroup");
  ASSERT_TRUE(cgroup);
  EXPECT_EQ(cgroup->offset, 0U);
  EXPECT_EQ(cgroup->kind, TypeKind::Pointer);
  EXPECT_EQ(cgroup->element_size, types_->size_of("struct cgroup"));
  auto css_flags = types_->member("struct mem_cgroup", "css.flags");
  ASSERT_TRUE(css_flags);
  EXPECT_EQ(css_flags->offset,
            offset("struct mem_cgroup", "css") + offset("struct cgroup_subsys_state", "flags"));
  EXPECT_EQ(css_flags->offset, 76U);
  EXPECT_EQ(offset("struct obj_cgroup", "memcg"), 16U);
  EXPECT_EQ(offset("struct cgroup", "kn"), 296U);
  EXPECT_EQ(offset("struct kernfs_node", "__parent"), 8U);
  EXPECT_EQ(offset("struct kernfs_node", "name"), 16U);
  // A path cannot go through a pointer, and every part must exist.
  EXPECT_FALSE(types_->member("struct mem_cgroup", "css.cgroup.kn"));
  EXPECT_FALSE(types_->member("struct mem_cgroup", "css.no_such"));
  EXPECT_FALSE(types_->member("struct mem_cgroup", "css."));
  EXPECT_FALSE(types_->member("struct mem_cgroup", ""));
}

TEST_F(dwarfTypes73, ModuleStructs) {
  auto mem = types_->member("struct module", "mem");
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->kind, TypeKind::Array);
  EXPECT_EQ(mem->array_length, static_cast<uint64_t>(*types_->enumerator("MOD_MEM_NUM_TYPES")));
  EXPECT_EQ(mem->element_size, types_->size_of("struct module_memory"));
  auto kallsyms = types_->member("struct module", "kallsyms");
  ASSERT_TRUE(kallsyms);
  EXPECT_EQ(kallsyms->kind, TypeKind::Pointer);
  EXPECT_EQ(kallsyms->element_size, types_->size_of("struct mod_kallsyms"));
  EXPECT_EQ(offset("struct mod_kallsyms", "symtab"), 0U);
  EXPECT_EQ(offset("struct mod_kallsyms", "num_symtab"), 8U);
  EXPECT_EQ(offset("struct mod_kallsyms", "strtab"), 16U);
  EXPECT_EQ(offset("struct mod_kallsyms", "typetab"), 24U);
}

TEST_F(dwarfTypes73, Enumerators) {
  EXPECT_EQ(types_->enumerator("MR_NEVER"), 10);
  EXPECT_EQ(types_->enumerator("MR_TYPES"), 11);
  EXPECT_EQ(types_->enumerator("PGTY_buddy"), 0xf0);
  EXPECT_EQ(types_->enumerator("__NR_PAGEFLAGS"), 21);
  EXPECT_EQ(types_->enumerator("__MAX_NR_ZONES"), 3);
  EXPECT_EQ(types_->enumerator("N_POSSIBLE"), 0);
  EXPECT_EQ(types_->enumerator("N_MEMORY"), 3);
  EXPECT_EQ(types_->enumerator("MEMCG_DATA_KMEM"), 2);
  EXPECT_EQ(types_->enumerator("CSS_ONLINE"), 2); // 1 << 1, anonymous enum
  EXPECT_EQ(types_->enumerator("SECTION_HAS_MEM_MAP_BIT"), 1);
  EXPECT_FALSE(types_->enumerator("MEMCG_DATA_OBJCGS")); // 6.1 only
  EXPECT_FALSE(types_->enumerator("MIGRATE_ISOLATE"));   // no MEMORY_ISOLATION here
}

TEST_F(dwarfTypes73, PageOwnerStatics) {
  auto list = types_->variable("stack_list", "mm/page_owner.c");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->kind, TypeKind::Pointer);
  EXPECT_EQ(list->size, 8U);
  EXPECT_EQ(list->element_size, types_->size_of("struct stack"));
  EXPECT_NE(list->address, 0U);
  auto dummy = types_->variable("dummy_stack", "mm/page_owner.c");
  ASSERT_TRUE(dummy);
  EXPECT_EQ(dummy->kind, TypeKind::Struct);
  EXPECT_EQ(dummy->size, 16U);
  EXPECT_EQ(offset("struct stack", "next"), 8U);
  auto threshold = types_->variable("pages_threshold", "mm/page_owner.c");
  ASSERT_TRUE(threshold);
  EXPECT_EQ(threshold->kind, TypeKind::Integer);
  EXPECT_FALSE(types_->variable("page_owner_pages_threshold", "mm/page_owner.c")); // <= 7.2
}

TEST_F(dwarfTypes73, StackDepotStatics) {
  auto pools = types_->variable("stack_pools", "lib/stackdepot.c");
  ASSERT_TRUE(pools);
  EXPECT_EQ(pools->kind, TypeKind::Pointer); // an allocated array since 7.2
  EXPECT_EQ(pools->size, 8U);
  EXPECT_EQ(pools->element_size, 8U);
  auto num = types_->variable("pools_num", "lib/stackdepot.c");
  ASSERT_TRUE(num);
  EXPECT_EQ(num->kind, TypeKind::Integer);
  EXPECT_EQ(num->size, 4U);
  EXPECT_FALSE(types_->variable("stack_slabs", "lib/stackdepot.c")); // 6.1 only
}

TEST_F(dwarfTypes73, Globals) {
  auto node_data = types_->variable("node_data");
  ASSERT_TRUE(node_data);
  EXPECT_EQ(node_data->kind, TypeKind::Array);
  EXPECT_EQ(node_data->array_length, 64U); // MAX_NUMNODES = 1 << CONFIG_NODES_SHIFT
  EXPECT_EQ(node_data->element_size, 8U);
  EXPECT_EQ(node_data->size, 512U);

  auto per_cpu = types_->variable("__per_cpu_offset");
  ASSERT_TRUE(per_cpu);
  EXPECT_EQ(per_cpu->kind, TypeKind::Array);
  EXPECT_EQ(per_cpu->array_length, 8U); // NR_CPUS

  auto gfp = types_->variable("gfpflag_names");
  ASSERT_TRUE(gfp);
  EXPECT_EQ(gfp->kind, TypeKind::Array);
  EXPECT_EQ(gfp->element_size, 16U); // struct trace_print_flags
  EXPECT_GT(gfp->array_length, 10U);

  auto reasons = types_->variable("migrate_reason_names");
  ASSERT_TRUE(reasons);
  EXPECT_EQ(reasons->array_length, 11U); // MR_TYPES
  EXPECT_EQ(reasons->element_size, 8U);

  auto ops = types_->variable("page_owner_ops");
  ASSERT_TRUE(ops);
  EXPECT_EQ(ops->kind, TypeKind::Struct);
  EXPECT_EQ(ops->size, types_->size_of("struct page_ext_operations"));

  auto max_pfn = types_->variable("max_pfn");
  ASSERT_TRUE(max_pfn);
  EXPECT_EQ(max_pfn->kind, TypeKind::Integer);
  EXPECT_EQ(max_pfn->size, 8U);

  auto states = types_->variable("node_states");
  ASSERT_TRUE(states);
  EXPECT_EQ(states->kind, TypeKind::Array);
  EXPECT_EQ(states->element_size, types_->size_of("nodemask_t"));

  auto mem_section = types_->variable("mem_section");
  ASSERT_TRUE(mem_section);
  EXPECT_EQ(mem_section->kind, TypeKind::Pointer); // SPARSEMEM_EXTREME

  EXPECT_TRUE(types_->variable("page_ext_size"));
  EXPECT_TRUE(types_->variable("pageflag_names"));
  EXPECT_TRUE(types_->variable("migratetype_names"));
  EXPECT_FALSE(types_->variable("section_to_node_table")); // nid fits in page->flags
}

TEST_F(dwarfTypes73, KaslrOffsetApplied) {
  for (auto [name, file] : {std::pair<const char*, const char*>{"max_pfn", ""},
                            {"node_data", ""},
                            {"stack_list", "mm/page_owner.c"},
                            {"stack_pools", "lib/stackdepot.c"}}) {
    auto plain = types_->variable(name, file);
    auto slid = slid_->variable(name, file);
    ASSERT_TRUE(plain && slid) << name;
    EXPECT_EQ(slid->address, plain->address + kKaslr) << name;
  }
  // Link-time addresses of x86_64 kernel data.
  EXPECT_GE(types_->variable("max_pfn")->address, 0xffffffff80000000ULL);
  EXPECT_GE(types_->variable("stack_list", "mm/page_owner.c")->address, 0xffffffff80000000ULL);
}

// The version and config probes this kernel fails are answered without walking every CU:
// their names are not in .debug_str. A name that is, defined only outside the preferred CUs,
// still is found.
TEST_F(dwarfTypes73, AbsentProbesCostNoPass) {
  DwarfTypes fresh(path_, 0);
  EXPECT_FALSE(fresh.enumerator("MEMCG_DATA_OBJCGS"));
  EXPECT_FALSE(fresh.enumerator("MIGRATE_ISOLATE"));
  EXPECT_FALSE(fresh.enumerator("PB_migrate_isolate"));
  EXPECT_FALSE(fresh.size_of("struct module_memory_of_no_kernel"));
  EXPECT_TRUE(fresh.size_of("struct page_flags_fields")); // lib/vsprintf.c's own
  EXPECT_FALSE(fresh.walked_every_unit());
  EXPECT_TRUE(fresh.size_of("struct tcp_sock"));
  EXPECT_TRUE(fresh.walked_every_unit());
}

// Before Linux 6.0 (commit 5fd8fea935a1, "vmcoreinfo: include kallsyms symbols") the kallsyms
// tables are found through the debug info. They are made in assembly, so the DWARF has only
// kernel/kallsyms.c's declarations: their addresses come from the symbol table, without a
// search of every CU for a definition there is none of.
TEST(dwarfTypes510, KallsymsTablesCostNoPass) {
  const std::string path = fixture_vmlinux("5.10");
  if (path.empty()) GTEST_SKIP() << "no 5.10 vmlinux (set POWNER_FIXTURES)";
  DwarfTypes types(path, kKaslr);
  const std::vector<std::string> tables = {
      "kallsyms_num_syms", "kallsyms_names",   "kallsyms_token_table",  "kallsyms_token_index",
      "kallsyms_offsets",  "kallsyms_markers", "kallsyms_relative_base"};
  std::vector<uint64_t> addresses;
  for (const std::string& name : tables) {
    auto address = types.address_of(name);
    ASSERT_TRUE(address) << name;
    addresses.push_back(*address);
  }
  EXPECT_FALSE(types.address_of("kallsyms_addresses")); // a base-relative kernel
  EXPECT_FALSE(types.walked_every_unit());
  for (size_t i = 0; i < tables.size(); i++) { // where variable() puts them, after its search
    auto variable = types.variable(tables[i]);
    ASSERT_TRUE(variable) << tables[i];
    EXPECT_EQ(variable->address, addresses[i]) << tables[i];
  }
}

TEST_F(dwarfTypes73, TypeNames) {
  EXPECT_EQ(types_->size_of("unsigned long"), 8U);
  EXPECT_EQ(types_->size_of("long unsigned int"), 8U);
  EXPECT_EQ(types_->size_of("depot_stack_handle_t"), 4U);
  EXPECT_EQ(types_->size_of("struct  page"), 64U);
  EXPECT_EQ(types_->size_of("struct page *"), 8U);
  EXPECT_EQ(types_->size_of("union handle_parts"), 4U);
  EXPECT_EQ(types_->size_of("enum migrate_reason"), 4U);
}

TEST_F(dwarfTypes73, UnknownNames) {
  EXPECT_FALSE(types_->size_of("struct no_such_struct"));
  EXPECT_FALSE(types_->size_of("no_such_typedef_t"));
  EXPECT_FALSE(types_->size_of(""));
  EXPECT_FALSE(types_->member("struct no_such_struct", "x"));
  EXPECT_FALSE(types_->member("struct page", "no_such_member"));
  EXPECT_FALSE(types_->member("unsigned long", "x"));
  EXPECT_FALSE(types_->enumerator("NO_SUCH_ENUMERATOR"));
  EXPECT_FALSE(types_->variable("no_such_variable"));
  EXPECT_FALSE(types_->variable("no_such_variable", "mm/page_owner.c"));
  EXPECT_FALSE(types_->variable("stack_list", "mm/no_such_file.c"));
  // Asking twice gives the cached answer.
  EXPECT_FALSE(types_->enumerator("NO_SUCH_ENUMERATOR"));
  EXPECT_FALSE(types_->member("struct page", "no_such_member"));
}

TEST(dwarfTypes, MissingFileThrowsUnreadable) {
  try {
    DwarfTypes types("/nonexistent/vmlinux", 0);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Unreadable);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/vmlinux"), std::string::npos);
  }
}

TEST(dwarfTypes, NonElfThrowsUnreadable) {
  fs::path p = fs::temp_directory_path() / ("powner_dwarf_test_" + std::to_string(getpid()));
  std::ofstream(p) << "not an ELF file\n";
  try {
    DwarfTypes types(p.string(), 0);
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Unreadable);
  }
  fs::remove(p);
}

TEST(dwarfTypes, TruncatedElfThrowsUnreadable) {
  // The head of an executable: a valid ELF header whose section headers are gone.
  const char* binary = "/bin/true";
  if (!fs::exists(binary)) GTEST_SKIP() << "no " << binary;
  fs::path p = fs::temp_directory_path() / ("powner_dwarf_trunc_" + std::to_string(getpid()));
  {
    std::ifstream in(binary, std::ios::binary);
    std::string head(1024, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(p, std::ios::binary).write(head.data(), in.gcount());
  }
  try {
    DwarfTypes types(p.string(), 0);
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::Unreadable);
  }
  fs::remove(p);
}

TEST(dwarfTypes, ElfWithoutDebugInfoThrowsNoDebugInfo) {
  // Any stripped executable will do.
  const char* binary = "/bin/true";
  if (!fs::exists(binary)) GTEST_SKIP() << "no " << binary;
  try {
    DwarfTypes types(binary, 0);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::NoDebugInfo);
    EXPECT_EQ(std::string(e.what()), std::string(binary) + ": no DWARF debug info");
  }
}

} // namespace
} // namespace powner
