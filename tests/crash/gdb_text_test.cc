// SPDX-License-Identifier: GPL-2.0-or-later
// The crash extension reads gdb's ptype text for kinds and bitfields: what it makes of the texts
// crash's gdb prints.
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

TEST(ParsePtypeOffsets, BitfieldsOfAnonymousMembers) {
  auto index = parse_ptype_offsets(kHandleParts, "pool_index_plus_1");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->bit, 0u);
  EXPECT_EQ(index->storage, 4u);
  EXPECT_EQ(index->width, 17u);
  auto offset = parse_ptype_offsets(kHandleParts, "offset");
  ASSERT_TRUE(offset);
  EXPECT_EQ(offset->bit, 17u);
  EXPECT_EQ(offset->width, 10u);
  auto extra = parse_ptype_offsets(kHandleParts, "extra");
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->bit, 27u);
  EXPECT_FALSE(parse_ptype_offsets(kHandleParts, "handle")); // not a bitfield
  EXPECT_FALSE(parse_ptype_offsets(kHandleParts, "slabindex"));
}

TEST(ParsePtypeOffsets, NamedMembersHideTheirFields) {
  constexpr const char* kText = R"(/* offset      |    size */  type = struct outer {
/*      0      |       4 */    struct {
/*      0: 0   |       4 */        unsigned int a : 3;
                               } named;
/*      4: 0   |       4 */    unsigned int b : 5;
/*      8      |       4 */    union {
/*      8: 2   |       4 */        unsigned int c : 7;
                               };
                               /* total size (bytes):   12 */
                             }
)";
  EXPECT_FALSE(parse_ptype_offsets(kText, "a")); // named.a, not outer's
  auto b = parse_ptype_offsets(kText, "b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bit, 32u);
  auto c = parse_ptype_offsets(kText, "c");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->bit, 66u);
  EXPECT_EQ(c->width, 7u);
}

} // namespace
} // namespace powner::crash
