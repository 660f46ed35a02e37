// SPDX-License-Identifier: GPL-2.0-or-later
// BtfTypes against DwarfTypes on every fixture kernel: the BTF inside the dump, found through
// the dump's kallsyms alone, answers every type, member and enumerator question the engine asks
// (recorded while resolving the kernel model and reading kallsyms with DWARF) exactly as DWARF
// does; variables get kallsyms' address.
#include "fixture_dumps.h"
#include "powner/kernel_model.h"
#include "powner/readers/btf_types.h"
#include "powner/status.h"

#include <gtest/gtest.h>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace powner {
namespace {

// DWARF's answers, and the questions asked.
class Recording final : public Types {
public:
  explicit Recording(Types& inner) : inner_(inner) {}
  std::optional<uint64_t> size_of(std::string_view type) override {
    sizes.emplace(type);
    return inner_.size_of(type);
  }
  std::optional<MemberInfo> member(std::string_view type, std::string_view path) override {
    members.emplace(type, path);
    return inner_.member(type, path);
  }
  std::optional<int64_t> enumerator(std::string_view name) override {
    enumerators.emplace(name);
    return inner_.enumerator(name);
  }
  std::optional<VariableInfo> variable(std::string_view name, std::string_view file) override {
    variables.emplace(name, file);
    return inner_.variable(name, file);
  }
  std::set<std::string> sizes, enumerators;
  std::set<std::pair<std::string, std::string>> members, variables;

private:
  Types& inner_;
};

auto fields(const MemberInfo& m) {
  return std::tie(m.offset, m.size, m.bit_offset, m.bit_size, m.kind, m.array_length,
                  m.element_size);
}

TEST(BtfTypes, AnswersAsDwarfOnEveryFixtureKernel) {
  auto dumps = testing::open_fixture_dumps();
  if (dumps.empty()) GTEST_SKIP() << "no fixture dumps (set POWNER_FIXTURES)";
  std::set<std::string> kernels;
  for (auto& d : dumps) {
    std::string kernel = d.name.substr(0, d.name.find('/'));
    if (!kernels.insert(kernel).second) continue; // one dump per kernel
    const VmcoreInfo& info = d.file->vmcoreinfo();
    Recording dwarf(*d.types);
    KernelModel::resolve(*d.file, dwarf, info);
    KernelSymbols dwarf_symbols(*d.file, info, dwarf);

    NoTypes none;
    KernelSymbols symbols(*d.file, info, none);
    if (!info.symbol("kallsyms_names")) {
      // Before 6.0 only the vmlinux locates kallsyms: without it the BTF route says so, and
      // with it the BTF in the dump is compared all the same.
      try {
        BtfTypes::from_dump(*d.file, symbols);
        ADD_FAILURE() << d.name << ": BTF found without kallsyms in VMCOREINFO";
      } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::NoDebugInfo) << d.name;
      }
    } else {
      ASSERT_TRUE(symbols.vmlinux_ok()) << d.name;
    }
    auto btf = BtfTypes::from_dump(*d.file, symbols.size() ? symbols : dwarf_symbols);
    EXPECT_GT(btf->type_count(), 10000u) << d.name;

    size_t answered = 0;
    for (const auto& type : dwarf.sizes) {
      EXPECT_EQ(btf->size_of(type), d.types->size_of(type)) << d.name << " sizeof " << type;
      answered += d.types->size_of(type).has_value();
    }
    for (const auto& [type, path] : dwarf.members) {
      auto want = d.types->member(type, path);
      auto got = btf->member(type, path);
      ASSERT_EQ(got.has_value(), want.has_value()) << d.name << " " << type << " ." << path;
      if (want) {
        EXPECT_EQ(fields(*got), fields(*want)) << d.name << " " << type << " ." << path;
      }
      answered += want.has_value();
    }
    for (const auto& name : dwarf.enumerators) {
      EXPECT_EQ(btf->enumerator(name), d.types->enumerator(name)) << d.name << " " << name;
      answered += d.types->enumerator(name).has_value();
    }
    size_t addresses = 0;
    for (const auto& [name, file] : dwarf.variables) {
      auto want = d.types->variable(name, file);
      auto got = btf->variable(name, file);
      if (want && got) {
        EXPECT_EQ(got->address, want->address) << d.name << " " << name;
        addresses++;
      }
    }
    EXPECT_GT(answered, 40u) << d.name; // 5.10 has fewer of the fields asked about
    EXPECT_GT(addresses, 10u) << d.name;
  }
  for (const char* kernel : {"5.10", "6.1", "6.12", "7.2", "7.3"})
    EXPECT_TRUE(kernels.contains(kernel)) << "no " << kernel << " fixture dump";
}

} // namespace
} // namespace powner
