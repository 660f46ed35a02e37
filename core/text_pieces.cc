// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/text_pieces.h"

#include <stdexcept>

namespace powner {

// Below this a text is copied even when gathering: one more piece costs a writer more than
// copying a line (the handle line, a memcg line).
constexpr size_t kReferAtLeast = 128;

void TextPieces::refer(std::string_view text) {
  // (A text over 4 GiB is copied, not referred to: it would not fit a piece; none is.)
  if (!gather_ || text.size() < kReferAtLeast || text.size() > UINT32_MAX) return append(text);
  pieces_.push_back({text.data(), 0, static_cast<uint32_t>(text.size())});
  size_ += text.size();
}

void TextPieces::truncate(const Mark& m) {
  own_.resize(m.own);
  own_end_ = m.own;
  pieces_.resize(m.pieces);
  size_ = m.size;
  // The last piece kept may have grown since the mark: it ends where the text now ends.
  if (!pieces_.empty() && !pieces_.back().ref)
    pieces_.back().size = static_cast<uint32_t>(m.own - pieces_.back().at);
}

std::string_view TextPieces::flat() const {
  if (pieces_.size() > 1 || (pieces_.size() == 1 && pieces_.front().ref))
    throw std::logic_error("TextPieces::flat() of a text in pieces");
  return {own_.data(), own_end_};
}

} // namespace powner
