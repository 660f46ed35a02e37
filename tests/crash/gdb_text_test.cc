// SPDX-License-Identifier: GPL-2.0-or-later
// The crash extension reads gdb's ptype texts for kinds, struct layouts and enumerators: what it
// makes of the texts crash's gdb prints.
#include "gdb_text.h"

#include <gtest/gtest.h>

namespace powner::crash {
namespace {

TypeShape shape(const char* text) {
  auto s = parse_ptype(text);
  EXPECT_TRUE(s.has_value()) << text;
  return s.value_or(TypeShape{});
}

TEST(ParsePtype, Scalars) {
  EXPECT_EQ(shape("type = unsigned long\n").kind, TypeKind::Integer);
  EXPECT_EQ(shape("type = _Bool\n").kind, TypeKind::Integer);
  EXPECT_EQ(shape("type = const char\n").kind, TypeKind::Integer);
  EXPECT_EQ(shape("type = double\n").kind, TypeKind::Other);
  EXPECT_EQ(shape("type = void\n").kind, TypeKind::Other);
  EXPECT_EQ(shape("type = enum module_state {MODULE_STATE_LIVE, MODULE_STATE_COMING}\n").kind,
            TypeKind::Enum);
}

TEST(ParsePtype, Aggregates) {
  EXPECT_EQ(shape("type = struct {\n    unsigned long f;\n}\n").kind, TypeKind::Struct);
  EXPECT_EQ(shape("type = struct refcount_struct {\n    atomic_t refs;\n}\n").kind,
            TypeKind::Struct);
  EXPECT_EQ(shape("type = union handle_parts {\n    u32 handle;\n}\n").kind, TypeKind::Union);
}

TEST(ParsePtype, Pointers) {
  auto p = shape("type = void *\n");
  EXPECT_EQ(p.kind, TypeKind::Pointer);
  EXPECT_FALSE(p.pointee_sized);
  p = shape("type = void **\n");
  EXPECT_EQ(p.kind, TypeKind::Pointer);
  EXPECT_TRUE(p.pointee_sized);
  p = shape("type = const char *\n");
  EXPECT_TRUE(p.pointee_sized);
  // A pointer to a struct: ptype prints the struct's body, braces nested.
  p = shape("type = struct cgroup {\n    struct cgroup_subsys_state self;\n    union {\n"
            "        struct {\n            struct cgroup *ancestors[];\n        };\n    };\n} *\n");
  EXPECT_EQ(p.kind, TypeKind::Pointer);
  EXPECT_TRUE(p.pointee_sized);
  p = shape("type = void (*)(struct page *)\n");
  EXPECT_EQ(p.kind, TypeKind::Pointer);
  EXPECT_FALSE(p.pointee_sized);
  p = shape("type = char (*)[16]\n");
  EXPECT_EQ(p.kind, TypeKind::Pointer);
  EXPECT_TRUE(p.pointee_sized);
  p = shape("type = struct page *(*)(int)\n");
  EXPECT_EQ(p.kind, TypeKind::Pointer);
  EXPECT_FALSE(p.pointee_sized);
}

TEST(ParsePtype, Arrays) {
  EXPECT_EQ(shape("type = unsigned long [0]\n").kind, TypeKind::Array);
  EXPECT_EQ(shape("type = const char *[11]\n").kind, TypeKind::Array); // of pointers
  EXPECT_EQ(shape("type = void (*[4])(void)\n").kind, TypeKind::Array);
  EXPECT_EQ(shape("type = int [2][3]\n").kind, TypeKind::Array);
  EXPECT_EQ(shape("type = const struct trace_print_flags {\n    unsigned long mask;\n"
                  "    const char *name;\n} [39]\n")
                .kind,
            TypeKind::Array);
  EXPECT_EQ(shape("type = struct {\n    unsigned long bits[1];\n} [6]\n").kind, TypeKind::Array);
}

TEST(ParsePtype, NotAType) {
  EXPECT_FALSE(parse_ptype("No symbol \"x\" in current context.\n"));
  EXPECT_FALSE(parse_ptype("type = struct {\n"));
  EXPECT_EQ(shape("type = int (int)\n").kind, TypeKind::Other); // a function
}

// "ptype /o" texts as crash 9.0.2's gdb prints them (Linux 7.3).
constexpr const char* kHandleParts = R"(/* offset      |    size */  type = union handle_parts {
/*                     4 */    depot_stack_handle_t handle;
/*                     4 */    struct {
/*      0: 0   |       4 */        u32 pool_index_plus_1 : 17;
/*      2: 1   |       4 */        u32 offset : 10;
/*      3: 3   |       4 */        u32 extra : 5;

                                   /* total size (bytes):    4 */
                               };

                               /* total size (bytes):    4 */
                             }
)";

constexpr const char* kStackRecord = R"(/* offset      |    size */  type = struct stack_record {
/*      0      |      16 */    struct list_head {
/*      0      |       8 */        struct list_head *next;
/*      8      |       8 */        struct list_head *prev;

                                   /* total size (bytes):   16 */
                               } hash_list;
/*     16      |       4 */    u32 hash;
/*     20      |       4 */    u32 size;
/*     24      |       4 */    union handle_parts {
/*                     4 */        depot_stack_handle_t handle;
/*                     4 */        struct {
/*     24: 0   |       4 */            u32 pool_index_plus_1 : 17;
/*     26: 1   |       4 */            u32 offset : 10;
/*     27: 3   |       4 */            u32 extra : 5;

                                       /* total size (bytes):    4 */
                                   };

                                   /* total size (bytes):    4 */
                               } handle;
/*     28      |       4 */    refcount_t count;
/*     32      |     512 */    union {
/*                   512 */        unsigned long entries[64];
/*                    24 */        struct {
/*     32      |      16 */            struct list_head {
/*     32      |       8 */                struct list_head *next;
/*     40      |       8 */                struct list_head *prev;

                                           /* total size (bytes):   16 */
                                       } free_list;
/*     48      |       8 */            unsigned long rcu_state;

                                       /* total size (bytes):   24 */
                                   };
/* XXX 480-byte padding   */

                                   /* total size (bytes):  512 */
                               };

                               /* total size (bytes):  544 */
                             }
)";

constexpr const char* kLruvec = R"(/* offset      |    size */  type = struct lruvec {
/*      0      |      80 */    struct list_head lists[5];
/*     80      |       4 */    spinlock_t lru_lock;
/* XXX  4-byte hole      */
/*     88      |      48 */    struct lru_cost cost[2];
/*    136      |       4 */    spinlock_t cost_lock;
/* XXX  4-byte hole      */
/*    144      |       8 */    atomic_long_t nonresident_age;
/*    152      |      16 */    unsigned long refaults[2];
/*    168      |       8 */    unsigned long flags;
/*    176      |       8 */    struct pglist_data *pgdat;
/*    184      |       0 */    struct zswap_lruvec_state {
                                   <no data fields>

                                   /* total size (bytes):    0 */
                               } zswap_lruvec_state;

                               /* total size (bytes):  184 */
                             }
)";

constexpr const char* kMemSectionUsage =
    R"(/* offset      |    size */  type = struct mem_section_usage {
/*      0      |      16 */    struct callback_head {
/*      0      |       8 */        struct callback_head *next;
/*      8      |       8 */        void (*func)(struct callback_head *);

                                   /* total size (bytes):   16 */
                               } rcu;
/*     16      |       8 */    unsigned long subsection_map[1];
/*     24      |       0 */    unsigned long pageblock_flags[0];

                               /* total size (bytes):   24 */
                             }
)";

Layout layout(const char* text) {
  auto l = parse_layout(text);
  EXPECT_TRUE(l.has_value()) << text;
  return l.value_or(Layout{});
}

TEST(ParseLayout, BitfieldsOfAnonymousMembers) {
  Layout l = layout(kHandleParts);
  EXPECT_EQ(l.size, 4u);
  const LayoutMember* handle = l.find("handle");
  ASSERT_TRUE(handle);
  EXPECT_EQ(handle->type, "depot_stack_handle_t");
  EXPECT_EQ(handle->size, 4u);
  EXPECT_EQ(handle->width, 0u);
  const LayoutMember* index = l.find("pool_index_plus_1");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->bit, 0u);
  EXPECT_EQ(index->size, 4u);
  EXPECT_EQ(index->width, 17u);
  EXPECT_EQ(index->type, "u32");
  const LayoutMember* offset = l.find("offset");
  ASSERT_TRUE(offset);
  EXPECT_EQ(offset->bit, 17u);
  EXPECT_EQ(offset->width, 10u);
  EXPECT_EQ(l.find("extra")->bit, 27u);
  EXPECT_FALSE(l.find("slabindex"));
}

TEST(ParseLayout, NamedMembersByPath) {
  Layout l = layout(kStackRecord);
  EXPECT_EQ(l.size, 544u);
  const LayoutMember* list = l.find("hash_list");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->type, "struct list_head");
  EXPECT_EQ(list->size, 16u);
  const LayoutMember* prev = l.find("hash_list.prev");
  ASSERT_TRUE(prev);
  EXPECT_EQ(prev->offset, 8u);
  EXPECT_EQ(prev->type, "struct list_head *");
  EXPECT_FALSE(l.find("prev")); // a named member's fields are not the struct's
  // A named union's bitfields: bit counts from the struct's start, holder is the union's place.
  const LayoutMember* handle = l.find("handle");
  ASSERT_TRUE(handle);
  EXPECT_EQ(handle->offset, 24u);
  EXPECT_EQ(handle->type, "union handle_parts");
  const LayoutMember* offset = l.find("handle.offset");
  ASSERT_TRUE(offset);
  EXPECT_EQ(offset->bit, 24u * 8 + 17);
  EXPECT_EQ(offset->holder, 24u);
  EXPECT_FALSE(l.find("offset"));
  // Union members print no offset: they start where the union does.
  const LayoutMember* entries = l.find("entries");
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->offset, 32u);
  EXPECT_EQ(entries->size, 512u);
  EXPECT_EQ(entries->type, "unsigned long [64]");
  EXPECT_EQ(l.find("free_list.next")->offset, 32u);
  EXPECT_EQ(l.find("rcu_state")->offset, 48u);
  EXPECT_EQ(l.find("count")->type, "refcount_t");
}

TEST(ParseLayout, EmptyStructsArraysAndFunctionPointers) {
  Layout l = layout(kLruvec);
  EXPECT_EQ(l.size, 184u);
  EXPECT_EQ(l.find("lists")->type, "struct list_head [5]");
  EXPECT_EQ(l.find("pgdat")->type, "struct pglist_data *");
  const LayoutMember* zswap = l.find("zswap_lruvec_state");
  ASSERT_TRUE(zswap);
  EXPECT_EQ(zswap->offset, 184u);
  EXPECT_EQ(zswap->size, 0u);
  EXPECT_FALSE(l.find("lrugen"));

  l = layout(kMemSectionUsage);
  EXPECT_EQ(l.find("rcu.func")->type, "void (*)(struct callback_head *)");
  EXPECT_EQ(l.find("rcu.func")->offset, 8u);
  EXPECT_EQ(l.find("pageblock_flags")->type, "unsigned long [0]");
  EXPECT_EQ(l.find("pageblock_flags")->offset, 24u);
}

TEST(ParseLayout, NotALayout) {
  // gdb prints a struct whose size depends on its contents without offsets.
  EXPECT_FALSE(parse_layout("warning: ptype/o does not work with dynamic types; disabling '/o'\n"
                            "type = struct mem_cgroup {\n"
                            "    struct cgroup_subsys_state css;\n}\n"));
  EXPECT_FALSE(parse_layout("type = unsigned long\n"));
  EXPECT_FALSE(parse_layout("/* offset      |    size */  type = struct page {\n"));
}

TEST(ParseLayout, PointersToAnonymousStructs) {
  constexpr const char* kText = R"(/* offset      |    size */  type = struct outer {
/*      0      |       8 */    struct {
/*      0      |       4 */        int a;

                                   /* total size (bytes):    4 */
                               } *p;
/*      8      |       4 */    enum {ONE, TWO} state;

                               /* total size (bytes):   16 */
                             }
)";
  Layout l = layout(kText);
  EXPECT_EQ(l.find("p")->type, "struct {...} *");
  EXPECT_FALSE(l.find("p.a")); // behind a pointer
  EXPECT_EQ(l.find("state")->type, "enum {ONE, TWO}");
  EXPECT_EQ(l.find("state")->offset, 8u);
}

TEST(TypedefName, BareNamesOnly) {
  EXPECT_EQ(typedef_name("gfp_t"), "gfp_t");
  EXPECT_EQ(typedef_name("const pid_t"), "pid_t");
  EXPECT_FALSE(typedef_name("unsigned long"));
  EXPECT_FALSE(typedef_name("struct list_head"));
  EXPECT_FALSE(typedef_name("u32 *"));
  EXPECT_FALSE(typedef_name("u8 [4]"));
  EXPECT_FALSE(typedef_name("enum {ONE, TWO}"));
}

TEST(ParseEnumerator, ValuesGdbLeavesOut) {
  constexpr const char* kPagetype =
      "type = enum pagetype {PGTY_buddy = 240, PGTY_offline, PGTY_table, PGTY_guard, "
      "PGTY_hugetlb, PGTY_slab, PGTY_zsmalloc, PGTY_unaccepted, PGTY_large_kmalloc, "
      "PGTY_mapcount_underflow = 255}\n";
  EXPECT_EQ(parse_enumerator(kPagetype, "PGTY_buddy"), 240);
  EXPECT_EQ(parse_enumerator(kPagetype, "PGTY_slab"), 245);
  EXPECT_EQ(parse_enumerator(kPagetype, "PGTY_mapcount_underflow"), 255);
  EXPECT_FALSE(parse_enumerator(kPagetype, "PGTY"));
  constexpr const char* kNodeStates =
      "type = enum node_states {N_POSSIBLE, N_ONLINE, N_NORMAL_MEMORY, N_HIGH_MEMORY = 2, "
      "N_MEMORY, N_CPU, N_GENERIC_INITIATOR, NR_NODE_STATES}\n";
  EXPECT_EQ(parse_enumerator(kNodeStates, "N_POSSIBLE"), 0);
  EXPECT_EQ(parse_enumerator(kNodeStates, "N_MEMORY"), 3);
  EXPECT_EQ(parse_enumerator("type = enum {SECTION_MARKED_PRESENT_BIT, SECTION_HAS_MEM_MAP_BIT, "
                             "SECTION_IS_ONLINE_BIT}\n",
                             "SECTION_IS_ONLINE_BIT"),
            2);
  EXPECT_EQ(parse_enumerator("type = enum e {A = -2, B}\n", "B"), -1);
  EXPECT_FALSE(parse_enumerator("type = int\n", "x"));
  EXPECT_FALSE(parse_enumerator("type = struct s {\n    int a;\n}\n", "a"));
}

} // namespace
} // namespace powner::crash
