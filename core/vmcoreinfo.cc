// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/vmcoreinfo.h"

#include <charconv>

namespace powner {

namespace {

template <typename T> std::optional<T> parse_number(std::optional<std::string_view> s, int base) {
  if (!s) return std::nullopt;
  T value{};
  const char* end = s->data() + s->size();
  auto [ptr, ec] = std::from_chars(s->data(), end, value, base);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string wrap(std::string_view kind, std::string_view name) {
  std::string key(kind);
  key += '(';
  key += name;
  key += ')';
  return key;
}

} // namespace

VmcoreInfo::VmcoreInfo(std::string_view text) : text_(text) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    entries_.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
}

std::optional<std::string_view> VmcoreInfo::get(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<uint64_t> VmcoreInfo::symbol(std::string_view name) const {
  return parse_number<uint64_t>(get(wrap("SYMBOL", name)), 16);
}
std::optional<int64_t> VmcoreInfo::number(std::string_view name) const {
  return parse_number<int64_t>(get(wrap("NUMBER", name)), 10);
}
std::optional<uint64_t> VmcoreInfo::length(std::string_view name) const {
  return parse_number<uint64_t>(get(wrap("LENGTH", name)), 10);
}
std::optional<uint64_t> VmcoreInfo::offset(std::string_view name) const {
  return parse_number<uint64_t>(get(wrap("OFFSET", name)), 10);
}
std::optional<uint64_t> VmcoreInfo::size(std::string_view name) const {
  return parse_number<uint64_t>(get(wrap("SIZE", name)), 10);
}
std::optional<uint64_t> VmcoreInfo::kaslr_offset() const {
  return parse_number<uint64_t>(get("KERNELOFFSET"), 16);
}
std::string_view VmcoreInfo::osrelease() const {
  return get("OSRELEASE").value_or("");
}
std::string_view VmcoreInfo::build_id() const {
  return get("BUILD-ID").value_or("");
}

} // namespace powner
