// SPDX-License-Identifier: GPL-2.0-or-later
// powner::Types answered by crash: addresses from crash's symbol table (KASLR applied), sizes,
// offsets, kinds and enumerators from its embedded gdb. A struct's members come from its
// "ptype /o" (every member's offset and size, anonymous structs and unions and nested named
// members included, bitfields to the bit), asked once per struct: each name of a struct in a gdb
// command costs milliseconds. What that text leaves open, gdb answers on C expressions on a null
// pointer, without touching memory ("&$p->page_type", "sizeof($p->flags)", "whatis $p->usage"
// with $p = (struct page *)0), as C finds members. Sizes of types come from the type, not a value
// (gdb drops a struct's tail padding when it sizes a value whose struct ends in a flexible
// array). Answers, misses included, are cached for the session (a crash session reads one dump).
#pragma once

#include "gdb_text.h"
#include "powner/types.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace powner::crash {

class CrashTypes final : public Types {
public:
  std::optional<uint64_t> size_of(std::string_view type) override;
  std::optional<MemberInfo> member(std::string_view type, std::string_view member_path) override;
  std::optional<int64_t> enumerator(std::string_view name) override;
  std::optional<VariableInfo> variable(std::string_view name, std::string_view file = {}) override;
  std::optional<uint64_t> address_of(std::string_view name) override;

private:
  struct Facts {
    TypeKind kind = TypeKind::Other;
    uint64_t size = 0, array_length = 0, element_size = 0;
  };
  struct Measured {
    std::optional<uint64_t> address;
    Facts facts;
  };
  struct Declared {
    std::string type; // as whatis prints it: "struct page *", "gfp_t"
    TypeShape shape;  // typedefs resolved
  };
  std::optional<std::string> gdb(const std::string& command);
  std::optional<std::string> null_pointer_to(std::string_view type);
  std::optional<std::vector<uint64_t>> numbers(const std::vector<std::string>& values);
  std::optional<uint64_t> number(const std::string& expression);
  std::optional<TypeShape> shape_of_type(std::string_view type);
  std::optional<Declared> declared_type(const std::string& expression);
  const Layout* layout_of(const std::string& type);
  std::optional<Measured> measure(const std::string& expression, const Declared& declared_type,
                                  bool address);
  std::optional<MemberInfo> resolve_member(std::string_view type, std::string_view path);
  static MemberInfo bitfield(uint64_t holder, uint64_t bit, uint64_t storage, uint32_t width,
                             TypeKind kind);
  std::optional<MemberInfo> member_in_layout(const LayoutMember& m);
  std::optional<MemberInfo> member_by_expression(std::string_view type, std::string_view path);
  std::optional<VariableInfo> resolve_variable(std::string_view name, std::string_view file);
  std::optional<VariableInfo> variable_at(const std::string& expression,
                                          std::optional<uint64_t> address);

  std::map<std::string, std::optional<uint64_t>, std::less<>> sizes_;
  std::map<std::string, std::optional<MemberInfo>, std::less<>> members_;
  std::map<std::string, std::optional<int64_t>, std::less<>> enumerators_;
  std::map<std::string, std::optional<VariableInfo>, std::less<>> variables_;
  std::map<std::string, std::optional<Layout>, std::less<>> layouts_;     // by "ptype /o" argument
  std::map<std::string, std::optional<TypeShape>, std::less<>> typedefs_; // by typedef name
  std::map<std::string, std::optional<std::string>, std::less<>> pointers_; // gdb variables
};

} // namespace powner::crash
