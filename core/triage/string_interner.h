// SPDX-License-Identifier: GPL-2.0-or-later
// Each distinct string once, by number: page_owner_sort keeps a copy of every block's text, and a
// 750 MB page_owner file holds the same few thousand texts over and over. Ids count from 0 in
// order of first sight; ranks() orders them as strcmp() would.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace powner {

class StringInterner {
public:
  uint32_t intern(std::string_view s) {
    if ((views_.size() + 1) * 2 > slots_.size()) grow();
    const uint64_t h = hash(s);
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint32_t slot = slots_[i];
      if (slot == 0) {
        slots_[i] = static_cast<uint32_t>(views_.size()) + 1;
        hashes_.push_back(h);
        views_.push_back(store(s));
        return slot_id(slots_[i]);
      }
      if (hashes_[slot - 1] == h && views_[slot - 1] == s) return slot_id(slot);
    }
  }

  std::string_view view(uint32_t id) const { return views_[id]; }
  size_t size() const { return views_.size(); }

  // rank[id]: the string's place among all, in strcmp() order (no string holds a NUL).
  std::vector<uint32_t> ranks() const {
    std::vector<uint32_t> order(views_.size());
    for (uint32_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(),
              [this](uint32_t a, uint32_t b) { return views_[a] < views_[b]; });
    std::vector<uint32_t> rank(views_.size());
    for (uint32_t r = 0; r < order.size(); ++r)
      rank[order[r]] = r;
    return rank;
  }

private:
  static uint32_t slot_id(uint32_t slot) { return slot - 1; }

  // Four lanes of eight bytes, multiply and fold: the texts are long and mostly alike at the
  // start, and independent lanes keep the multiplier busy.
  static uint64_t hash(std::string_view s) {
    constexpr uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t lane[4] = {s.size() * k, 1, 2, 3};
    size_t i = 0;
    for (; i + 32 <= s.size(); i += 32) {
      for (size_t j = 0; j < 4; ++j) {
        uint64_t w = 0;
        std::memcpy(&w, s.data() + i + 8 * j, 8);
        lane[j] = (lane[j] ^ w) * k;
        lane[j] ^= lane[j] >> 29;
      }
    }
    uint64_t h = lane[0] ^ (lane[1] * 3) ^ (lane[2] * 5) ^ (lane[3] * 7);
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w = 0;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * k;
      h ^= h >> 29;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    h = (h ^ tail) * k;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
  }

  void grow() {
    std::vector<uint32_t> slots(slots_.empty() ? 1024 : slots_.size() * 2);
    const size_t mask = slots.size() - 1;
    for (uint32_t id = 0; id < views_.size(); ++id) {
      size_t i = hashes_[id] & mask;
      while (slots[i] != 0)
        i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    slots_ = std::move(slots);
  }

  std::string_view store(std::string_view s) {
    if (s.size() > room_) {
      const size_t size = std::max(s.size(), kChunk);
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));
      next_ = chunks_.back().get();
      room_ = size;
    }
    if (!s.empty()) std::memcpy(next_, s.data(), s.size());
    const std::string_view stored(next_, s.size());
    next_ += s.size();
    room_ -= s.size();
    return stored;
  }

  static constexpr size_t kChunk = size_t{16} << 20;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* next_ = nullptr;
  size_t room_ = 0;
  std::vector<std::string_view> views_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> slots_; // id + 1, 0 for a free slot
};

} // namespace powner
