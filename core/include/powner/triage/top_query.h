// SPDX-License-Identifier: GPL-2.0-or-later
// What `powner top` is asked: the key records are grouped by, and which records count. Ages
// and durations are relative to the crash's own clock (crash_clock.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace powner {

enum class TopKey { Stack, Tgid, Memcg, Module, Order, Gfp, Migratetype, Node, Age, Allocator };

std::string_view top_key_name(TopKey key);
std::optional<TopKey> top_key_from_name(std::string_view name);
// Every key's name, in the order above, "|"-separated (for --help and errors).
std::string top_key_names();

// Records kept; each selection given must hold.
struct TopSelection {
  std::optional<int32_t> pid, tgid;
  std::optional<std::string> comm;
  std::optional<std::string> memcg;  // the memcg's name as the record prints it
  std::optional<std::string> module; // a module with a frame in the record's stack
  std::optional<int> node;
  std::optional<uint64_t> since_ns; // allocated at most this long before the crash
  std::optional<uint64_t> until_ns; // allocated at least this long before the crash
  bool needs_time() const { return since_ns || until_ns; }
};

struct TopQuery {
  TopKey by = TopKey::Stack;
  TopSelection select;
};

// The age buckets of --by age: each bucket holds ages below its bound, the last all others.
struct AgeBucket {
  std::string_view label;
  uint64_t below_ns; // ~0: no bound
};
extern const std::array<AgeBucket, 6> kAgeBuckets;
size_t age_bucket(uint64_t age_ns);

// "90", "30s", "10m", "2h", "1d", "500ms": nanoseconds; nothing for anything else (a unitless
// number is seconds).
std::optional<uint64_t> parse_duration(std::string_view text);

} // namespace powner
