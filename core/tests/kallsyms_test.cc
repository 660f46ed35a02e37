// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/kallsyms.h"
#include "powner/readers/dwarf_types.h"
#include "powner/readers/kdump_file.h"
#include "powner/status.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace powner {
namespace {

// --- a synthetic kernel ----------------------------------------------------------------------

// Sparse paged memory; a read fails if any page is missing.
class FakeMemory final : public Memory {
public:
  bool read(uint64_t addr, void* out, size_t len) override {
    auto* dst = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < len;) {
      uint64_t a = addr + i;
      auto it = pages_.find(a / 4096);
      if (it == pages_.end()) return false;
      size_t n = std::min<size_t>(len - i, 4096 - a % 4096);
      std::memcpy(dst + i, it->second.data() + a % 4096, n);
      i += n;
    }
    return true;
  }
  void put(uint64_t addr, const void* data, size_t len) {
    auto* src = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < len; i++) {
      auto& page = pages_[(addr + i) / 4096];
      if (page.empty()) page.resize(4096);
      page[(addr + i) % 4096] = src[i];
    }
  }
  template <typename T> void put_value(uint64_t addr, T v) { put(addr, &v, sizeof v); }
  void put_string(uint64_t addr, const std::string& s) { put(addr, s.c_str(), s.size() + 1); }
  void drop_page(uint64_t addr) { pages_.erase(addr / 4096); }

private:
  std::map<uint64_t, std::vector<uint8_t>> pages_;
};

class FakeTypes final : public Types {
public:
  std::optional<uint64_t> size_of(std::string_view type) override {
    auto it = sizes.find(std::string(type));
    return it == sizes.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<MemberInfo> member(std::string_view type, std::string_view path) override {
    auto it = members.find(std::string(type) + "::" + std::string(path));
    return it == members.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<int64_t> enumerator(std::string_view name) override {
    auto it = enumerators.find(std::string(name));
    return it == enumerators.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<VariableInfo> variable(std::string_view name, std::string_view) override {
    auto it = variables.find(std::string(name));
    if (it == variables.end()) return std::nullopt;
    VariableInfo v;
    v.address = it->second;
    return v;
  }
  void add(const std::string& type, const std::string& path, uint64_t offset, uint64_t size,
           uint64_t array_length = 0, uint64_t element_size = 0) {
    MemberInfo m;
    m.offset = offset;
    m.size = size;
    m.array_length = array_length;
    m.element_size = element_size;
    m.kind = array_length ? TypeKind::Array : TypeKind::Integer;
    members[type + "::" + path] = m;
  }

  std::map<std::string, uint64_t> sizes;
  std::map<std::string, MemberInfo> members;
  std::map<std::string, int64_t> enumerators;
  std::map<std::string, uint64_t> variables;
};

struct Sym {
  char type;
  std::string name;
  uint64_t addr;
};

enum class Layout { PcRelative, BaseRelativePercpu, BaseRelative };

constexpr uint64_t kTables = 0xffffffff82000000;
constexpr uint64_t kText = 0xffffffff81000000;

// Writes kallsyms tables the way scripts/kallsyms.c lays them out (6.12+ order: num_syms,
// names, markers, token_table, token_index, offsets), with one-character tokens, and returns
// the VMCOREINFO that points at them.
std::string write_kallsyms(FakeMemory& mem, const std::vector<Sym>& syms, Layout layout,
                           uint64_t* names_at = nullptr) {
  uint64_t at = kTables;
  auto align4 = [](uint64_t v) { return (v + 3) & ~uint64_t{3}; };
  const uint64_t num_syms = at;
  mem.put_value<uint32_t>(at, static_cast<uint32_t>(syms.size()));
  at += 4;
  const uint64_t names = at;
  if (names_at) *names_at = names;
  std::vector<uint32_t> markers;
  uint64_t off = 0;
  for (size_t i = 0; i < syms.size(); i++) {
    if (i % 256 == 0) markers.push_back(static_cast<uint32_t>(off));
    std::string data = std::string(1, syms[i].type) + syms[i].name;
    std::vector<uint8_t> enc;
    if (data.size() < 0x80) {
      enc.push_back(static_cast<uint8_t>(data.size()));
    } else {
      enc.push_back(static_cast<uint8_t>((data.size() & 0x7f) | 0x80));
      enc.push_back(static_cast<uint8_t>(data.size() >> 7));
    }
    enc.insert(enc.end(), data.begin(), data.end());
    mem.put(names + off, enc.data(), enc.size());
    off += enc.size();
  }
  at = align4(names + off);
  for (uint32_t m : markers) {
    mem.put_value(at, m);
    at += 4;
  }
  const uint64_t token_table = at;
  std::vector<uint16_t> index(256);
  for (int t = 0; t < 256; t++) {
    index[t] = static_cast<uint16_t>(at - token_table);
    char tok[2] = {static_cast<char>(t), 0};
    mem.put(at, tok, t ? 2 : 1);
    at += t ? 2 : 1;
  }
  at = align4(at);
  const uint64_t token_index = at;
  mem.put(at, index.data(), 512);
  at += 512;
  const uint64_t offsets = at;
  const uint64_t base = kText;
  for (size_t i = 0; i < syms.size(); i++, at += 4) {
    int64_t v = 0;
    if (layout == Layout::PcRelative)
      v = static_cast<int64_t>(syms[i].addr - at);
    else if (layout == Layout::BaseRelative)
      v = static_cast<int64_t>(syms[i].addr - base);
    else if (syms[i].addr < 0x100000) // per-cpu: absolute
      v = static_cast<int64_t>(syms[i].addr);
    else
      v = -static_cast<int64_t>(syms[i].addr - base) - 1;
    mem.put_value(at, static_cast<int32_t>(v));
  }
  const uint64_t relative_base = align4(at);
  std::string info =
      fmt::format("OSRELEASE=test\nSYMBOL(kallsyms_names)={:x}\nSYMBOL(kallsyms_num_syms)={:x}\n"
                  "SYMBOL(kallsyms_token_table)={:x}\nSYMBOL(kallsyms_token_index)={:x}\n"
                  "SYMBOL(kallsyms_offsets)={:x}\n",
                  names, num_syms, token_table, token_index, offsets);
  if (layout != Layout::PcRelative) {
    mem.put_value(relative_base, base);
    info += fmt::format("SYMBOL(kallsyms_relative_base)={:x}\n", relative_base);
  }
  for (const Sym& s : syms)
    if (s.name == "_stext") info += fmt::format("SYMBOL(_stext)={:x}\n", s.addr);
  return info;
}

// A small KALLSYMS_ALL kernel: text, init text, data, and per-cpu symbols.
std::vector<Sym> small_kernel(bool with_percpu = false) {
  std::vector<Sym> s;
  if (with_percpu) {
    s.push_back({'A', "__per_cpu_start", 0});
    s.push_back({'D', "fixed_percpu_data", 0});
    s.push_back({'D', "cpu_number", 0x40});
  }
  const uint64_t t = kText;
  s.insert(s.end(), {
                        {'T', "_stext", t},
                        {'T', "_text", t},
                        {'T', "startup_64", t},
                        {'T', "first_alias", t + 0x100},
                        {'t', "second_alias", t + 0x100},
                        {'T', "third_alias", t + 0x100},
                        {'t', "add_port.isra.0", t + 0x180},
                        {'T', "add_port", t + 0x200},
                        {'T', "last_text", t + 0x300},
                        {'T', "_etext", t + 0x1000},
                        {'D', "some_data", t + 0x2000},
                        {'T', "__init_begin", t + 0x10000},
                        {'T', "_sinittext", t + 0x10000},
                        {'T', "init_fn", t + 0x10000},
                        {'T', "_einittext", t + 0x10800},
                        {'D', "__init_end", t + 0x12000},
                        {'B', "last_bss", t + 0x20000},
                        {'B', "_end", t + 0x21000},
                    });
  return s;
}

TEST(kallsyms, PcRelativeLookups) {
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::PcRelative));
  KernelSymbols ks(mem, info, types);
  EXPECT_TRUE(ks.warnings().empty()) << ks.warnings().front();
  EXPECT_TRUE(ks.vmlinux_ok());
  EXPECT_EQ(ks.encoding(), KernelSymbols::Encoding::PcRelative);
  EXPECT_TRUE(ks.kallsyms_all());
  EXPECT_EQ(ks.size(), 18u);
  // Aliases: the lowest index wins, the size runs to the next higher address.
  EXPECT_EQ(ks.format_ps(kText), "_stext+0x0/0x100");
  EXPECT_EQ(ks.format_ps(kText + 0x108), "first_alias+0x8/0x80");
  EXPECT_EQ(ks.format_ps(kText + 0x100), "first_alias+0x0/0x80");
  // Compiler suffixes are part of the name.
  EXPECT_EQ(ks.format_ps(kText + 0x1ff), "add_port.isra.0+0x7f/0x80");
  EXPECT_EQ(ks.format_ps(kText + 0x200), "add_port+0x0/0x100");
  EXPECT_EQ(ks.format_ps(kText + 0x345), "last_text+0x45/0xd00");
  // KALLSYMS_ALL: data resolves; the last symbol ends at _end.
  EXPECT_EQ(ks.format_ps(kText + 0x2010), "some_data+0x10/0xe000");
  EXPECT_EQ(ks.format_ps(kText + 0x10010), "__init_begin+0x10/0x800");
  EXPECT_EQ(ks.format_ps(kText + 0x20fff), "last_bss+0xfff/0x1000");
  // Outside the kernel: the bare address, and "0x0" for zero.
  EXPECT_EQ(ks.format_ps(kText + 0x21000), "0xffffffff81021000");
  EXPECT_EQ(ks.format_ps(kText - 1), "0xffffffff80ffffff");
  EXPECT_EQ(ks.format_ps(0), "0x0");
  EXPECT_EQ(ks.format_ps(0xffffffffc0001234), "0xffffffffc0001234");
  // Names to addresses.
  EXPECT_EQ(ks.address_of("add_port"), kText + 0x200);
  EXPECT_EQ(ks.address_of("add_port.isra.0"), kText + 0x180);
  EXPECT_EQ(ks.address_of("nonexistent"), std::nullopt);
  EXPECT_EQ(ks.addresses_of("third_alias"), std::vector<uint64_t>{kText + 0x100});
  std::string out = "x ";
  ks.append_ps(out, kText + 0x201);
  EXPECT_EQ(out, "x add_port+0x1/0x100");
}

TEST(kallsyms, BaseRelativeAbsolutePercpu) {
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, small_kernel(true), Layout::BaseRelativePercpu));
  KernelSymbols ks(mem, info, types);
  EXPECT_TRUE(ks.warnings().empty()) << ks.warnings().front();
  EXPECT_EQ(ks.encoding(), KernelSymbols::Encoding::BaseRelative);
  EXPECT_EQ(ks.address_of("cpu_number"), 0x40u);
  EXPECT_EQ(ks.format_ps(kText + 0x108), "first_alias+0x8/0x80");
  EXPECT_EQ(ks.format_ps(kText + 0x20fff), "last_bss+0xfff/0x1000");
  // Per-cpu offsets are not kernel addresses.
  EXPECT_EQ(ks.format_ps(0x40), "0x40");
}

TEST(kallsyms, BaseRelativeWithoutPercpu) {
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::BaseRelative));
  KernelSymbols ks(mem, info, types);
  EXPECT_TRUE(ks.warnings().empty()) << ks.warnings().front();
  EXPECT_EQ(ks.format_ps(kText + 0x1ff), "add_port.isra.0+0x7f/0x80");
  EXPECT_EQ(ks.address_of("_end"), kText + 0x21000);
}

TEST(kallsyms, TextOnlyKernel) {
  // Without KALLSYMS_ALL the table holds text only and ends at _etext.
  std::vector<Sym> syms;
  for (const Sym& s : small_kernel())
    if (s.addr <= kText + 0x1000 || (s.addr >= kText + 0x10000 && s.addr <= kText + 0x10800))
      if (s.name != "__init_begin") syms.push_back(s);
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, syms, Layout::PcRelative));
  KernelSymbols ks(mem, info, types);
  EXPECT_FALSE(ks.kallsyms_all());
  EXPECT_EQ(ks.format_ps(kText + 0x345), "last_text+0x45/0xd00");
  EXPECT_EQ(ks.format_ps(kText + 0x2010), "0xffffffff81002010");
  EXPECT_EQ(ks.format_ps(kText + 0x10010), "_sinittext+0x10/0x800");
  EXPECT_EQ(ks.format_ps(kText + 0x10800), "0xffffffff81010800");
}

TEST(kallsyms, LongNamesAreCutAt511) {
  std::vector<Sym> syms = small_kernel();
  syms[3].name = std::string(600, 'x'); // two-byte length, longer than KSYM_NAME_LEN
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, syms, Layout::PcRelative));
  KernelSymbols ks(mem, info, types);
  EXPECT_EQ(ks.format_ps(kText + 0x100), std::string(511, 'x') + "+0x0/0x80");
  EXPECT_EQ(ks.format_ps(kText + 0x200), "add_port+0x0/0x100");
}

TEST(kallsyms, MissingNamePagesResyncThroughMarkers) {
  // Enough symbols for several 256-symbol blocks; a page of names goes missing.
  std::vector<Sym> syms = {{'T', "_stext", kText}};
  for (int i = 0; i < 2000; i++)
    syms.push_back({'t', fmt::format("function_number_{:04}", i), kText + 0x10 + 0x10 * i});
  syms.push_back({'T', "_etext", kText + 0x100000});
  syms.push_back({'B', "_end", kText + 0x200000});
  FakeMemory mem;
  FakeTypes types;
  uint64_t names = 0;
  VmcoreInfo info(write_kallsyms(mem, syms, Layout::PcRelative, &names));
  mem.drop_page(names + 3 * 4096);
  KernelSymbols ks(mem, info, types);
  ASSERT_TRUE(ks.vmlinux_ok());
  ASSERT_EQ(ks.warnings().size(), 1u);
  EXPECT_NE(ks.warnings()[0].find("names are not in the dump"), std::string::npos);
  EXPECT_EQ(ks.format_ps(kText + 0x10), "function_number_0000+0x0/0x10");
  // Names in the lost stretch print bare; the next marker puts us back in step.
  int bare = 0;
  for (int i = 0; i < 1999; i++) {
    uint64_t a = kText + 0x10 + 0x10 * i + 4;
    std::string got = ks.format_ps(a);
    if (got == fmt::format("0x{:x}", a))
      bare++;
    else
      EXPECT_EQ(got, fmt::format("function_number_{:04}+0x4/0x10", i));
  }
  EXPECT_GT(bare, 100);
  EXPECT_LT(bare, 600);
  EXPECT_EQ(ks.format_ps(kText + 0x10 + 0x10 * 1999), "function_number_1999+0x0/0xf8300");
}

TEST(kallsyms, MissingOffsetsPrintBare) {
  std::vector<Sym> syms = {{'T', "_stext", kText}};
  for (int i = 0; i < 3000; i++)
    syms.push_back({'t', fmt::format("f{}", i), kText + 0x10 + 0x10 * i});
  syms.push_back({'T', "_etext", kText + 0x100000});
  syms.push_back({'B', "_end", kText + 0x200000});
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, syms, Layout::PcRelative));
  auto offsets = *info.symbol("kallsyms_offsets");
  uint64_t page = (offsets + 4096 + 4095) & ~uint64_t{4095}; // holds entries ~1024..2047
  mem.drop_page(page);
  KernelSymbols ks(mem, info, types);
  ASSERT_TRUE(ks.vmlinux_ok());
  EXPECT_EQ(ks.format_ps(kText + 0x10 + 4), "f0+0x4/0x10");
  EXPECT_EQ(ks.format_ps(kText + 0x10 + 0x10 * 2999 + 4), "f2999+0x4/0xf4480");
  size_t first = (page - offsets) / 4;
  uint64_t lost = kText + 0x10 + 0x10 * (first + 5); // symbol first+4 (index 0 is _stext)
  EXPECT_EQ(ks.format_ps(lost), fmt::format("0x{:x}", lost));
  // ... and says that this is not necessarily what the kernel printed.
  std::string out;
  EXPECT_FALSE(ks.append_ps(out, lost));
  EXPECT_TRUE(ks.append_ps(out, kText + 0x10 + 4));
}

TEST(kallsyms, UndecodableTablesMakeEveryAnswerUnknown) {
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::PcRelative));
  mem.drop_page(*info.symbol("kallsyms_token_index")); // the tables exist but cannot be read
  KernelSymbols ks(mem, info, types);
  EXPECT_FALSE(ks.vmlinux_ok());
  std::string out;
  EXPECT_FALSE(ks.append_ps(out, kText + 0x10));
  EXPECT_EQ(out, fmt::format("0x{:x}", kText + 0x10));
  // A kernel without kallsyms prints bare addresses: those are the kernel's answer.
  KernelSymbols none(mem, VmcoreInfo("OSRELEASE=test\n"), types);
  EXPECT_TRUE(none.append_ps(out, kText + 0x10));
}

TEST(kallsyms, GarbageTablesDoNotCrash) {
  FakeMemory mem;
  FakeTypes types;
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::PcRelative));
  mem.put_value<uint32_t>(kTables, 0xffffffffu); // kallsyms_num_syms
  KernelSymbols ks(mem, info, types);
  EXPECT_FALSE(ks.vmlinux_ok());
  EXPECT_FALSE(ks.warnings().empty());
  EXPECT_EQ(ks.format_ps(kText + 0x100), "0xffffffff81000100");

  VmcoreInfo none("OSRELEASE=test\n");
  KernelSymbols empty(mem, none, types);
  EXPECT_FALSE(empty.vmlinux_ok());
  EXPECT_EQ(empty.format_ps(0), "0x0");
  EXPECT_EQ(empty.address_of("_stext"), std::nullopt);
}

// --- modules ---------------------------------------------------------------------------------

constexpr uint64_t kModules = 0xffffffff81008000; // the "modules" list head, in .data
constexpr uint64_t kModText = 0xffffffffc0400000;
constexpr uint64_t kModData = 0xffffffffc0298000;
constexpr uint64_t kModInit = 0xffffffffc0410000;

// struct module as in 7.3: state@0, list@8, name@24[56], mem@320[7] (72 bytes: base@0,
// size@12), kallsyms@888.
void module_types(FakeTypes& t) {
  t.add("struct module", "state", 0, 4);
  t.add("struct module", "list", 8, 16);
  t.add("struct module", "name", 24, 56);
  t.add("struct module", "mem", 320, 7 * 72, 7, 72);
  t.add("struct module", "kallsyms", 888, 8);
  t.add("struct module_memory", "base", 0, 8);
  t.add("struct module_memory", "size", 12, 4);
  t.add("struct mod_kallsyms", "symtab", 0, 8);
  t.add("struct mod_kallsyms", "num_symtab", 8, 4);
  t.add("struct mod_kallsyms", "strtab", 16, 8);
  t.sizes["struct module"] = 1024;
  t.sizes["struct mod_kallsyms"] = 32;
  t.enumerators = {
      {"MODULE_STATE_UNFORMED", 3}, {"MOD_TEXT", 0},      {"MOD_DATA", 1},       {"MOD_RODATA", 2},
      {"MOD_INIT_TEXT", 4},         {"MOD_INIT_DATA", 5}, {"MOD_INIT_RODATA", 6}};
  t.variables["modules"] = kModules;
}

struct ModSymSpec {
  std::string name;
  uint64_t value;
  uint16_t shndx;
};

// Writes a struct module at at with its symbols; links it after prev (a list_head address).
void write_module(FakeMemory& mem, uint64_t at, const std::string& name, uint32_t state,
                  const std::vector<std::pair<uint64_t, uint32_t>>& regions,
                  const std::vector<ModSymSpec>& syms) {
  mem.put_value<uint32_t>(at, state);
  mem.put_string(at + 24, name);
  for (size_t i = 0; i < regions.size(); i++) {
    mem.put_value(at + 320 + 72 * i, regions[i].first);
    mem.put_value(at + 320 + 72 * i + 12, regions[i].second);
  }
  const uint64_t ks = at + 896, symtab = at + 0x1000, strtab = at + 0x3000;
  mem.put_value(at + 888, ks);
  mem.put_value(ks, symtab);
  mem.put_value<uint32_t>(ks + 8, static_cast<uint32_t>(syms.size() + 1));
  mem.put_value(ks + 16, strtab);
  std::string strings(1, '\0');
  std::vector<uint8_t> entries(24, 0); // symtab[0] is the null symbol
  for (const ModSymSpec& s : syms) {
    uint8_t e[24] = {};
    uint32_t st_name = static_cast<uint32_t>(strings.size());
    std::memcpy(e, &st_name, 4);
    std::memcpy(e + 6, &s.shndx, 2);
    std::memcpy(e + 8, &s.value, 8);
    entries.insert(entries.end(), e, e + 24);
    strings += s.name;
    strings.push_back('\0');
  }
  mem.put(symtab, entries.data(), entries.size());
  mem.put(strtab, strings.data(), strings.size());
}

void link_modules(FakeMemory& mem, const std::vector<uint64_t>& mods) {
  uint64_t prev = kModules;
  for (uint64_t m : mods) {
    mem.put_value(prev, m + 8);
    prev = m + 8;
  }
  mem.put_value(prev, kModules);
}

constexpr uint64_t kModA = 0xffff888001000000;
constexpr uint64_t kModB = 0xffff888001100000;
constexpr uint64_t kModC = 0xffff888001200000;

TEST(kallsyms, ModuleSymbols) {
  FakeMemory mem;
  FakeTypes types;
  module_types(types);
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::PcRelative));
  write_module(mem, kModA, "po_mod", 0, {{kModText, 0x1000}, {kModData, 0x1000}},
               {{"__UNIQUE_ID_note_161", kModData + 0x24, 2},
                {"po_mod_alloc_on", kModText, 3},
                {"po_count", kModData + 0x100, 9},
                {"po_mod_alloc_all", kModText + 0x50, 3},
                {"po_mod_exit", kModText + 0x160, 7},
                {"cleanup_module", kModText + 0x160, 7},
                {"printk", 0, 0}, // undefined
                {"$x", kModText + 0x60, 3},
                {".Ltmp", kModText + 0x70, 3},
                {"", kModText + 0x80, 3}});
  // An unformed module is invisible, as its memory overlaps nothing valid.
  write_module(mem, kModB, "unformed", 3, {{kModInit, 0x1000}}, {{"ghost", kModInit, 3}});
  link_modules(mem, {kModA, kModB});
  KernelSymbols ks(mem, info, types);
  EXPECT_TRUE(ks.warnings().empty()) << ks.warnings().front();
  EXPECT_EQ(ks.module_count(), 1u);
  EXPECT_EQ(ks.format_ps(kModText + 0x1c), "po_mod_alloc_on+0x1c/0x50 [po_mod]");
  // Mapping, unnamed and undefined symbols are skipped.
  EXPECT_EQ(ks.format_ps(kModText + 0x9f), "po_mod_alloc_all+0x4f/0x110 [po_mod]");
  // Equal values: the first in symtab order; the last symbol runs to the end of its region.
  EXPECT_EQ(ks.format_ps(kModText + 0x170), "po_mod_exit+0x10/0xea0 [po_mod]");
  // KALLSYMS_ALL: data in the module resolves within its own region.
  EXPECT_EQ(ks.format_ps(kModData + 0x104), "po_count+0x4/0xf00 [po_mod]");
  EXPECT_EQ(ks.format_ps(kModData + 0x10), "0xffffffffc0298010");
  EXPECT_EQ(ks.format_ps(kModInit + 4), "0xffffffffc0410004");
  EXPECT_EQ(ks.format_ps(kModText + 0x1000), "0xffffffffc0401000");
  EXPECT_EQ(ks.address_of("po_mod_alloc_all"), kModText + 0x50);
  EXPECT_EQ(ks.address_of("po_mod:cleanup_module"), kModText + 0x160);
  EXPECT_EQ(ks.address_of("other:cleanup_module"), std::nullopt);
  EXPECT_EQ(ks.address_of("ghost"), std::nullopt);
}

TEST(kallsyms, ModuleLayoutsBefore64) {
  // 6.1: core_layout/init_layout; the search ends at the end of text, and starts from
  // symtab[0]'s value.
  FakeMemory mem;
  FakeTypes types;
  module_types(types);
  types.members.erase("struct module::mem");
  const char* layouts[] = {"core_layout", "init_layout"};
  for (int l = 0; l < 2; l++) {
    types.add("struct module", fmt::format("{}.base", layouts[l]), 320 + 80 * l, 8);
    types.add("struct module", fmt::format("{}.size", layouts[l]), 328 + 80 * l, 4);
    types.add("struct module", fmt::format("{}.text_size", layouts[l]), 332 + 80 * l, 4);
  }
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::BaseRelativePercpu));
  write_module(mem, kModA, "old", 0, {}, {{"f", kModText + 0x10, 1}, {"g", kModText + 0x80, 1}});
  mem.put_value(kModA + 320, kModText);
  mem.put_value<uint32_t>(kModA + 328, 0x3000); // core size
  mem.put_value<uint32_t>(kModA + 332, 0x100);  // core text_size
  mem.put_value(kModA + 400, kModInit);
  mem.put_value<uint32_t>(kModA + 408, 0x1000);
  mem.put_value<uint32_t>(kModA + 412, 0x40);
  link_modules(mem, {kModA});
  KernelSymbols ks(mem, info, types);
  EXPECT_TRUE(ks.warnings().empty()) << ks.warnings().front();
  EXPECT_EQ(ks.format_ps(kModText + 0x14), "f+0x4/0x70 [old]");
  EXPECT_EQ(ks.format_ps(kModText + 0x90), "g+0x10/0x80 [old]");
  // Before the first symbol nothing precedes it but symtab[0] (value 0).
  EXPECT_EQ(ks.format_ps(kModText + 4), "0xffffffffc0400004");
  // An init address: the closest preceding symbol, even from core text.
  EXPECT_EQ(ks.format_ps(kModInit + 8), "g+0xff88/0xffc0 [old]");
}

TEST(kallsyms, DamagedModuleListsEnd) {
  FakeMemory mem;
  FakeTypes types;
  module_types(types);
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::PcRelative));
  write_module(mem, kModA, "a", 0, {{kModText, 0x1000}}, {{"fa", kModText, 3}});
  write_module(mem, kModB, "b", 0, {{kModText + 0x1000, 0x1000}}, {{"fb", kModText + 0x1000, 3}});
  // A cycle that never returns to the head.
  mem.put_value(kModules, kModA + 8);
  mem.put_value(kModA + 8, kModB + 8);
  mem.put_value(kModB + 8, kModA + 8);
  // A module claiming a huge symbol table that is not there.
  write_module(mem, kModC, "c", 0, {{kModText + 0x2000, 0x1000}}, {});
  mem.put_value<uint32_t>(kModC + 896 + 8, 0xffffffffu);
  {
    KernelSymbols ks(mem, info, types);
    EXPECT_EQ(ks.module_count(), 2u);
    EXPECT_FALSE(ks.warnings().empty());
    EXPECT_EQ(ks.format_ps(kModText + 0x1004), "fb+0x4/0x1000 [b]");
  }
  link_modules(mem, {kModA, kModC});
  mem.put_value<uint32_t>(kModC + 896 + 8, 100000); // symtab mostly unreadable
  {
    KernelSymbols ks(mem, info, types);
    EXPECT_EQ(ks.module_count(), 2u);
    EXPECT_EQ(ks.format_ps(kModText + 0x2004), "0xffffffffc0402004");
    EXPECT_EQ(ks.format_ps(kModText + 0x4), "fa+0x4/0x1000 [a]");
  }
  // No type information for modules: vmlinux symbols still work.
  FakeTypes bare;
  bare.variables["modules"] = kModules;
  KernelSymbols ks(mem, info, bare);
  EXPECT_EQ(ks.module_count(), 0u);
  EXPECT_EQ(ks.format_ps(kText + 0x200), "add_port+0x0/0x100");
  EXPECT_EQ(ks.format_ps(kModText + 0x4), "0xffffffffc0400004");
}

TEST(kallsyms, BpfImagesAndFtraceSavedInitFunctions) {
  FakeMemory mem;
  FakeTypes types;
  module_types(types);
  VmcoreInfo info(write_kallsyms(mem, small_kernel(), Layout::PcRelative));
  link_modules(mem, {});
  // struct bpf_ksym: start@0, end@8, name@16[512], lnode@528.
  const uint64_t bpf_head = kText + 0x9000, ksym = 0xffff888002000000;
  const uint64_t image = 0xffffffffa0001000;
  types.variables["bpf_kallsyms"] = bpf_head;
  types.add("struct bpf_ksym", "start", 0, 8);
  types.add("struct bpf_ksym", "end", 8, 8);
  types.add("struct bpf_ksym", "name", 16, 512);
  types.add("struct bpf_ksym", "lnode", 528, 16);
  mem.put_value(bpf_head, ksym + 528);
  mem.put_value(ksym + 528, bpf_head);
  mem.put_value(ksym, image);
  mem.put_value(ksym + 8, image + 0x100);
  mem.put_string(ksym + 16, "bpf_prog_6deef7357e7b4530_sd_fw_ingress");
  // ftrace_mod_map: list@16, mod@32, funcs@56; ftrace_mod_func: list@0, name@16, ip@24, size@32.
  const uint64_t ftrace_head = kText + 0xa000, map = 0xffff888003000000;
  const uint64_t func = 0xffff888003100000, fname = 0xffff888003200000;
  types.variables["ftrace_mod_maps"] = ftrace_head;
  types.add("struct ftrace_mod_map", "list", 16, 16);
  types.add("struct ftrace_mod_map", "mod", 32, 8);
  types.add("struct ftrace_mod_map", "funcs", 56, 16);
  types.add("struct ftrace_mod_func", "list", 0, 16);
  types.add("struct ftrace_mod_func", "name", 16, 8);
  types.add("struct ftrace_mod_func", "ip", 24, 8);
  types.add("struct ftrace_mod_func", "size", 32, 4);
  mem.put_value(ftrace_head, map + 16);
  mem.put_value(map + 16, ftrace_head);
  mem.put_value(map + 32, kModA);
  mem.put_string(kModA + 24, "po_mod");
  mem.put_value(map + 56, func);
  mem.put_value(func, map + 56);
  mem.put_value(func + 16, fname);
  mem.put_value(func + 24, kModInit);
  mem.put_value<uint32_t>(func + 32, 0x40);
  mem.put_string(fname, "po_mod_init");
  KernelSymbols ks(mem, info, types);
  EXPECT_TRUE(ks.warnings().empty()) << ks.warnings().front();
  EXPECT_EQ(ks.format_ps(image + 0x10), "bpf_prog_6deef7357e7b4530_sd_fw_ingress+0x10/0x100");
  // A return address just past a program's final call still belongs to it.
  EXPECT_EQ(ks.format_ps(image + 0x100), "bpf_prog_6deef7357e7b4530_sd_fw_ingress+0x100/0x100");
  EXPECT_EQ(ks.format_ps(image + 0x101), "0xffffffffa0001101");
  EXPECT_EQ(ks.format_ps(kModInit + 5), "po_mod_init+0x5/0x40 [po_mod]");
  EXPECT_EQ(ks.format_ps(kModInit + 0x40), "0xffffffffc0410040");
}

// --- the real 7.3 fixture --------------------------------------------------------------------

namespace fs = std::filesystem;

struct RealFixture {
  std::string kernel; // "7.3"
  fs::path dump, captures, vmlinux;
};

// Every dump of every fixture set under $POWNER_FIXTURES (the unpacked tree:
// <kernel>/<set>/{vmcore.*, captures/page_owner.txt, vmlinux}).
std::vector<RealFixture> real_fixtures() {
  std::vector<RealFixture> out;
  const char* root = std::getenv("POWNER_FIXTURES");
  if (!root || !*root || !fs::is_directory(root)) return out;
  for (const auto& kernel : fs::directory_iterator(root)) {
    if (!kernel.is_directory()) continue;
    for (const auto& set : fs::directory_iterator(kernel.path())) {
      fs::path captures = set.path() / "captures";
      if (!set.is_directory() || !fs::exists(captures / "page_owner.txt")) continue;
      fs::path vmlinux = set.path() / "vmlinux";
      if (!fs::exists(vmlinux)) vmlinux = kernel.path() / "vmlinux";
      if (!fs::exists(vmlinux)) continue;
      for (const auto& file : fs::directory_iterator(set.path())) {
        std::string name = file.path().filename().string();
        if (name.starts_with("vmcore.") && !name.ends_with(".xz"))
          out.push_back({kernel.path().filename().string(), file.path(), captures, vmlinux});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RealFixture& a, const RealFixture& b) { return a.dump < b.dump; });
  return out;
}

struct Loaded {
  std::unique_ptr<KdumpFile> dump;
  std::unique_ptr<DwarfTypes> types;
  std::unique_ptr<KernelSymbols> symbols;
  double seconds = 0;
};

Loaded load(const RealFixture& f) {
  Loaded l;
  l.dump = std::make_unique<KdumpFile>(f.dump.string());
  l.types = std::make_unique<DwarfTypes>(f.vmlinux.string(),
                                         l.dump->vmcoreinfo().kaslr_offset().value_or(0));
  auto t0 = std::chrono::steady_clock::now();
  l.symbols = std::make_unique<KernelSymbols>(*l.dump, l.dump->vmcoreinfo(), *l.types);
  l.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return l;
}

// Every distinct stack line the live kernel printed must come out of format_ps() unchanged:
// take the name from the line, find its address(es) in our tables, add the offset, print.
void check_all_stack_lines(const RealFixture& f) {
  Loaded l = load(f);
  const KernelSymbols& ks = *l.symbols;
  std::cout << "[ info ] " << f.dump.string() << ": " << ks.size() << " kallsyms, "
            << ks.module_count() << " modules, constructed in " << l.seconds * 1000 << " ms\n";
  for (const std::string& w : ks.warnings())
    ADD_FAILURE() << "warning: " << w;
  EXPECT_TRUE(ks.vmlinux_ok());
  // 7.2 made kallsyms_offsets PC-relative.
  bool pc_relative = f.kernel.starts_with("7.");
  EXPECT_EQ(ks.encoding(), pc_relative ? KernelSymbols::Encoding::PcRelative
                                       : KernelSymbols::Encoding::BaseRelative);
  EXPECT_TRUE(ks.kallsyms_all());
  EXPECT_GT(ks.size(), 30000u); // (its speed is the benchmarks' business, not a test's)

  // page_owner.txt and every other capture (page_owner_stacks views keep stacks of freed pages).
  std::set<std::string> lines;
  for (const auto& entry : fs::directory_iterator(f.captures)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);)
      if (line.size() > 1 && line[0] == ' ' && line[1] != ' ') lines.insert(line.substr(1));
  }
  ASSERT_GT(lines.size(), 500u);

  size_t checked = 0, module_lines = 0, bare_lines = 0;
  std::vector<std::string> mismatches;
  for (const std::string& line : lines) {
    checked++;
    if (line.starts_with("0x")) {
      bare_lines++;
      uint64_t a = std::stoull(line, nullptr, 16);
      if (ks.format_ps(a) != line) mismatches.push_back(line + "  ->  " + ks.format_ps(a));
      continue;
    }
    size_t plus = line.rfind('+', line.find('/'));
    size_t slash = line.find('/', plus);
    if (plus == std::string::npos || slash == std::string::npos) {
      mismatches.push_back(line + "  (unparsable)");
      continue;
    }
    module_lines += line.find(" [") != std::string::npos;
    std::string name = line.substr(0, plus);
    uint64_t off = std::stoull(line.substr(plus + 1, slash - plus - 1), nullptr, 16);
    std::string got = "(name not found)";
    for (uint64_t a : ks.addresses_of(name)) {
      got = ks.format_ps(a + off);
      if (got == line) break;
    }
    if (got != line) mismatches.push_back(line + "  ->  " + got);
  }
  std::cout << "[ info ] " << checked << " distinct stack lines checked (" << module_lines
            << " in modules, " << bare_lines << " bare), " << mismatches.size() << " mismatches\n";
  for (size_t i = 0; i < mismatches.size() && i < 10; i++)
    ADD_FAILURE() << mismatches[i];
  EXPECT_EQ(mismatches.size(), 0u);
}

TEST(kallsymsFixture, EveryStackLineOfEveryCapture) {
  auto fixtures = real_fixtures();
  if (fixtures.empty()) GTEST_SKIP() << "no fixtures under $POWNER_FIXTURES";
  for (const RealFixture& f : fixtures) {
    SCOPED_TRACE(f.dump.string());
    check_all_stack_lines(f);
  }
}

TEST(kallsymsFixture, AgreesWithVmcoreinfo) {
  auto fixtures = real_fixtures();
  if (fixtures.empty()) GTEST_SKIP() << "no fixtures under $POWNER_FIXTURES";
  for (const RealFixture& f : fixtures) {
    SCOPED_TRACE(f.dump.string());
    Loaded l = load(f);
    const KernelSymbols& ks = *l.symbols;
    const VmcoreInfo& info = l.dump->vmcoreinfo();
    // Our table agrees with VMCOREINFO on the addresses it exports.
    for (const char* s : {"_stext", "kallsyms_names", "kallsyms_num_syms", "init_uts_ns",
                          "node_data", "init_top_pgt"}) {
      auto expected = info.symbol(s);
      // VMCOREINFO lists the kallsyms tables from 6.0 on (5fd8fea935a1); node_data and
      // init_top_pgt are x86_64's (arch_crash_save_vmcoreinfo()), not arm64's.
      if (!expected &&
          (std::string_view(s).starts_with("kallsyms_") || !info.symbol("init_top_pgt")))
        continue;
      ASSERT_TRUE(expected) << s;
      // Before 6.2, scripts/kallsyms left its own tables (kallsyms_*) out of the table.
      if (std::string_view(s).starts_with("kallsyms_") && !ks.address_of(s) &&
          info.osrelease().starts_with("6.1."))
        continue;
      EXPECT_EQ(ks.address_of(s), expected) << s;
    }
    EXPECT_EQ(ks.format_ps(0), "0x0");
    // The test module the fixture kernels load.
    auto alloc_on = ks.address_of("po_mod_alloc_on");
    ASSERT_TRUE(alloc_on);
    EXPECT_EQ(ks.format_ps(*alloc_on).substr(0, 20), "po_mod_alloc_on+0x0/");
    EXPECT_TRUE(ks.format_ps(*alloc_on).ends_with(" [po_mod]"));
  }
}

} // namespace
} // namespace powner
