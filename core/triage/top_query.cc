// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/top_query.h"

#include <charconv>

namespace powner {

namespace {

constexpr std::array<std::string_view, 10> kKeyNames = {
    "stack", "tgid", "memcg", "module", "order", "gfp", "migratetype", "node", "age", "allocator"};

constexpr uint64_t kSecond = 1000000000;

} // namespace

const std::array<AgeBucket, 6> kAgeBuckets = {{
    {"<1s", kSecond},
    {"<10s", 10 * kSecond},
    {"<1m", 60 * kSecond},
    {"<10m", 600 * kSecond},
    {"<1h", 3600 * kSecond},
    {"older", ~0ULL},
}};

size_t age_bucket(uint64_t age_ns) {
  for (size_t i = 0; i + 1 < kAgeBuckets.size(); i++)
    if (age_ns < kAgeBuckets[i].below_ns) return i;
  return kAgeBuckets.size() - 1;
}

std::string_view top_key_name(TopKey key) {
  return kKeyNames[static_cast<size_t>(key)];
}

std::optional<TopKey> top_key_from_name(std::string_view name) {
  for (size_t i = 0; i < kKeyNames.size(); i++)
    if (kKeyNames[i] == name) return static_cast<TopKey>(i);
  return std::nullopt;
}

std::string top_key_names() {
  std::string out;
  for (std::string_view name : kKeyNames) {
    if (!out.empty()) out += '|';
    out += name;
  }
  return out;
}

std::optional<uint64_t> parse_duration(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  uint64_t scale = 0;
  if (unit.empty() || unit == "s")
    scale = kSecond;
  else if (unit == "ms")
    scale = kSecond / 1000;
  else if (unit == "m")
    scale = 60 * kSecond;
  else if (unit == "h")
    scale = 3600 * kSecond;
  else if (unit == "d")
    scale = 86400 * kSecond;
  else
    return std::nullopt;
  if (n > ~0ULL / scale) return std::nullopt;
  return n * scale;
}

} // namespace powner
