// SPDX-License-Identifier: GPL-2.0-or-later
// VMCOREINFO: the key=value notes the kernel leaves for dump tools (OSRELEASE, BUILD-ID,
// SYMBOL(x), NUMBER(x), LENGTH(x), OFFSET(s.m), SIZE(x), KERNELOFFSET).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace powner {

class VmcoreInfo {
public:
  VmcoreInfo() = default;
  explicit VmcoreInfo(std::string_view text);

  std::optional<std::string_view> get(std::string_view key) const;
  std::optional<uint64_t> symbol(std::string_view name) const; // SYMBOL(name), hex
  std::optional<int64_t> number(std::string_view name) const;  // NUMBER(name), decimal
  std::optional<uint64_t> length(std::string_view name) const; // LENGTH(name)
  std::optional<uint64_t> offset(std::string_view name) const; // OFFSET(name)
  std::optional<uint64_t> size(std::string_view name) const;   // SIZE(name)
  std::optional<uint64_t> kaslr_offset() const;                // KERNELOFFSET, hex
  std::string_view osrelease() const;
  std::string_view build_id() const;
  bool empty() const { return entries_.empty(); }
  const std::string& text() const { return text_; } // as the kernel wrote it

private:
  std::string text_;
  std::map<std::string, std::string, std::less<>> entries_;
};

} // namespace powner
