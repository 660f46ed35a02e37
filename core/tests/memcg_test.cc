// SPDX-License-Identifier: GPL-2.0-or-later
// MemcgLines on a fake kernel: print_page_owner_memcg() of 7.3 (every charged folio holds an
// obj_cgroup; no lines for tail pages) and of 6.1 (an LRU page holds its mem_cgroup): "Charged
// [(via objcg) ]to [offline ]memcg <cgroup_name()>", "Slab cache page", nothing for an uncharged
// page, and a memcg whose name the dump lacks told apart from one with no lines.
#include "fake_target.h"
#include "powner/memcg.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string>

namespace powner {
namespace {

using testing::FakeKernel;
using State = PageMemcg::State;

constexpr uint64_t kKmem = 2, kObjexts = 1; // MEMCG_DATA_KMEM, MEMCG_DATA_OBJEXTS

// The lines the kernel prints, nothing where the dump lacks them (no placeholders).
std::string lines(MemcgLines& memcg, uint64_t memcg_data, bool tail) {
  std::string out;
  memcg.append(out, memcg_data, tail, /*placeholders=*/false);
  return out;
}

TEST(Memcg, ChargedPagesName73) {
  FakeKernel k;
  uint64_t po_c = k.add_memcg("po_c", /*online=*/true);
  uint64_t gone = k.add_memcg("po_gone", /*online=*/false);
  uint64_t root = k.add_memcg("", true, /*root=*/true);
  MemcgLines memcg(k.mem, k.model);
  uint64_t objcg = k.add_objcg(po_c);
  EXPECT_EQ(lines(memcg, objcg, false), "Charged to memcg po_c\n");
  EXPECT_EQ(lines(memcg, objcg | kKmem, false), "Charged (via objcg) to memcg po_c\n");
  EXPECT_EQ(lines(memcg, k.add_objcg(gone), false), "Charged to offline memcg po_gone\n");
  EXPECT_EQ(lines(memcg, k.add_objcg(gone) | kKmem, false),
            "Charged (via objcg) to offline memcg po_gone\n");
  EXPECT_EQ(lines(memcg, k.add_objcg(root), false), "Charged to memcg /\n");

  PageMemcg d = memcg.describe(objcg | kKmem, false);
  EXPECT_EQ(d.state, State::Charged);
  EXPECT_TRUE(d.via_objcg);
  EXPECT_TRUE(d.online);
  EXPECT_EQ(d.name, "po_c");
  d = memcg.describe(k.add_objcg(gone), false);
  EXPECT_EQ(d.state, State::Charged);
  EXPECT_FALSE(d.via_objcg);
  EXPECT_FALSE(d.online);
  EXPECT_EQ(d.name, "po_gone");
}

// cgroup_name() copies into an 80-byte buffer: at most 79 characters.
TEST(Memcg, NamesAreCutAt79) {
  FakeKernel k;
  std::string name(100, 'x');
  for (size_t i = 0; i < name.size(); i++)
    name[i] = static_cast<char>('a' + i % 26);
  uint64_t objcg = k.add_objcg(k.add_memcg(name, true));
  MemcgLines memcg(k.mem, k.model);
  EXPECT_EQ(lines(memcg, objcg, false), "Charged to memcg " + name.substr(0, 79) + "\n");
}

TEST(Memcg, UnchargedPagesHaveNoLines) {
  FakeKernel k;
  MemcgLines memcg(k.mem, k.model);
  EXPECT_EQ(lines(memcg, 0, false), "");
  EXPECT_EQ(memcg.describe(0, false).state, State::NotCharged);
  // An obj_cgroup whose memcg is gone (reparented to nothing): obj_cgroup_memcg() is NULL.
  uint64_t orphan = k.add_objcg(0);
  EXPECT_EQ(lines(memcg, orphan, false), "");
  EXPECT_EQ(memcg.describe(orphan, false).state, State::NotCharged);
  // A kernel without CONFIG_MEMCG prints nothing, whatever the page holds.
  k.model.memcg.present = false;
  MemcgLines none(k.mem, k.model);
  EXPECT_EQ(lines(none, k.add_objcg(k.add_memcg("po_c", true)), false), "");
  EXPECT_EQ(none.describe(orphan, false).state, State::NoMemcg);
}

TEST(Memcg, SlabPages) {
  FakeKernel k;
  MemcgLines memcg(k.mem, k.model);
  uint64_t objexts = k.alloc(0x100) | kObjexts; // slab->obj_exts: the objects' vector
  EXPECT_EQ(lines(memcg, objexts, false), "Slab cache page\n");
  EXPECT_EQ(memcg.describe(objexts, false).state, State::Slab);
  // 6.1 (MEMCG_DATA_OBJCGS) reads the same bit: the line, and no memcg after it.
  k.model.memcg.objcg_for_all = false;
  k.model.memcg.skips_tail = false;
  MemcgLines memcg61(k.mem, k.model);
  EXPECT_EQ(lines(memcg61, objexts | kKmem, false), "Slab cache page\n");
}

// 7.x returns before reading memcg_data of a tail page; 6.1 printed it.
TEST(Memcg, TailPages) {
  FakeKernel k;
  uint64_t objcg = k.add_objcg(k.add_memcg("po_c", true));
  MemcgLines memcg(k.mem, k.model);
  EXPECT_EQ(lines(memcg, objcg, true), "");
  EXPECT_EQ(memcg.describe(objcg, true).state, State::TailPage);
  k.model.memcg.objcg_for_all = false;
  k.model.memcg.skips_tail = false;
  MemcgLines memcg61(k.mem, k.model);
  EXPECT_EQ(lines(memcg61, objcg | kKmem, true), "Charged (via objcg) to memcg po_c\n");
}

// 6.1: an LRU page's memcg_data is the mem_cgroup; a kernel page's is an obj_cgroup | KMEM.
TEST(Memcg, ChargedPages61) {
  FakeKernel k;
  k.model.memcg.objcg_for_all = false;
  k.model.memcg.skips_tail = false;
  uint64_t po_c = k.add_memcg("po_c", true);
  MemcgLines memcg(k.mem, k.model);
  EXPECT_EQ(lines(memcg, po_c, false), "Charged to memcg po_c\n");
  EXPECT_EQ(lines(memcg, k.add_objcg(po_c) | kKmem, false), "Charged (via objcg) to memcg po_c\n");
}

// What the dump lacks: the memcg's name, the memcg itself, its obj_cgroup. The page is charged,
// but its line is not known: no line, and a state that says so (not NotCharged).
TEST(Memcg, MemcgsTheDumpLacks) {
  FakeKernel k;
  uint64_t no_name = k.add_memcg("po_c", true);
  k.mem.drop(k.name_addr_of(no_name));
  uint64_t no_kn = k.add_memcg("po_d", true);
  k.mem.drop(k.kn_of(no_kn));
  uint64_t no_memcg = k.add_memcg("po_e", true);
  k.mem.drop(no_memcg);
  MemcgLines memcg(k.mem, k.model);
  for (uint64_t m : {no_name, no_kn, no_memcg}) {
    uint64_t objcg = k.add_objcg(m);
    EXPECT_EQ(lines(memcg, objcg, false), "") << std::hex << m;
    EXPECT_EQ(memcg.describe(objcg, false).state, State::NotInDump) << std::hex << m;
  }
  uint64_t no_objcg = k.add_objcg(k.add_memcg("po_f", true));
  k.mem.drop(no_objcg);
  EXPECT_EQ(lines(memcg, no_objcg, false), "");
  EXPECT_EQ(memcg.describe(no_objcg, false).state, State::NotInDump);
  // The root's name needs no name: "/" when its kernfs node has no parent.
  uint64_t root = k.add_memcg("", true, /*root=*/true);
  k.mem.drop(k.name_addr_of(root));
  EXPECT_EQ(lines(memcg, k.add_objcg(root), false), "Charged to memcg /\n");
}

// The same pages with placeholders (the default output): the line the kernel printed, with what
// the dump lacks as "?" and what is known of it (docs/powner.1, "Details not in the dump").
TEST(Memcg, PlaceholdersSayWhatIsMissing) {
  FakeKernel k;
  uint64_t no_name = k.add_memcg("po_c", true);
  k.mem.drop(k.name_addr_of(no_name));
  uint64_t offline_no_name = k.add_memcg("po_gone", false);
  k.mem.drop(k.name_addr_of(offline_no_name));
  uint64_t no_memcg = k.add_memcg("po_e", true);
  k.mem.drop(no_memcg);
  uint64_t no_objcg = k.add_objcg(k.add_memcg("po_f", true));
  k.mem.drop(no_objcg);
  MemcgLines memcg(k.mem, k.model);
  auto with_placeholders = [&](uint64_t memcg_data) {
    std::string out;
    memcg.append(out, memcg_data, false, /*placeholders=*/true);
    return out;
  };
  EXPECT_EQ(with_placeholders(k.add_objcg(no_name)),
            fmt::format("Charged to memcg ? (name not in the dump, mem_cgroup {:#x})\n", no_name));
  EXPECT_EQ(with_placeholders(k.add_objcg(no_name) | kKmem),
            fmt::format("Charged (via objcg) to memcg ? (name not in the dump, mem_cgroup {:#x})\n",
                        no_name));
  EXPECT_EQ(with_placeholders(k.add_objcg(offline_no_name)),
            fmt::format("Charged to offline memcg ? (name not in the dump, mem_cgroup {:#x})\n",
                        offline_no_name));
  // A memcg the dump lacks: neither its name nor whether it is online is known.
  EXPECT_EQ(with_placeholders(k.add_objcg(no_memcg)), "Charged to memcg ? (not in the dump)\n");
  EXPECT_EQ(with_placeholders(no_objcg), "Charged to memcg ? (not in the dump)\n");
  EXPECT_EQ(with_placeholders(no_objcg | kKmem),
            "Charged (via objcg) to memcg ? (not in the dump)\n");
  // What the dump has is printed as the kernel prints it.
  EXPECT_EQ(with_placeholders(k.add_objcg(k.add_memcg("po_a", true))), "Charged to memcg po_a\n");
  EXPECT_EQ(with_placeholders(0), "");
}

} // namespace
} // namespace powner
