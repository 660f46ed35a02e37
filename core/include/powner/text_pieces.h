// SPDX-License-Identifier: GPL-2.0-or-later
// Text as it is made for the output: bytes of its own, and, when gathering, texts it only refers
// to. Half of page_owner's output is stack texts, the same few thousand again and again; a writer
// that gathers (writev) writes each from where the stack depot keeps it, where copying them into
// the output first wrote them to memory once more (377 of the 8 GiB dump's 755 MB).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fmt/format.h>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace powner {

class TextPieces {
public:
  // gather: texts given to refer() stay where they are, and the text is pieces; otherwise they
  // are copied in, and the text is one piece (flat()).
  explicit TextPieces(bool gather = false) : gather_(gather) {}

  // Room for bytes of its own, made once: a text used again and again (cleared) keeps its room.
  void reserve(size_t own_bytes) {
    own_.reserve(own_bytes);
    if (gather_) pieces_.reserve(own_bytes / kOwnBytesPerPiece); // (copied: one piece)
  }
  size_t own_bytes() const { return own_end_; }
  // Bytes of text, over all pieces.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void append(std::string_view text) {
    own_.append(text.data(), text.data() + text.size());
    grow_own(text.size());
  }
  void push_back(char c) {
    own_.push_back(c);
    grow_own(1);
  }
  // text must stay where it is, unchanged, until these pieces are written or cleared.
  void refer(std::string_view text);

  // Space for at most n more bytes of text of its own; end_write() says where what was written
  // there ends.
  char* begin_write(size_t n) {
    const size_t at = own_.size();
    own_.resize(at + n);
    return own_.data() + at;
  }
  void end_write(const char* end) {
    const size_t n = static_cast<size_t>(end - (own_.data() + own_end_));
    own_.resize(own_end_ + n);
    grow_own(n);
  }

  // What the text is now, to go back to: a record that is not printed is taken back.
  struct Mark {
    size_t own = 0, pieces = 0, size = 0;
  };
  Mark mark() const { return {own_end_, pieces_.size(), size_}; }
  void truncate(const Mark& m);
  void clear() { truncate({}); }

  // Calls f(std::string_view) for each piece, in order.
  template <class F> void for_each(F&& f) const {
    for (const Piece& p : pieces_)
      f(std::string_view(p.ref ? p.ref : own_.data() + p.at, p.size));
  }
  // The text, when it is one piece (not gathering).
  std::string_view flat() const;

private:
  // A piece of the text: ref's bytes, or (ref null) own_'s bytes from at. (A piece is never
  // 4 GiB: a record's text is at most a page, and a chunk's own bytes are checked.)
  struct Piece {
    const char* ref;
    uint32_t at, size;
  };
  // What a record's two header lines and a reference to its stack take, about.
  static constexpr size_t kOwnBytesPerPiece = 80;
  // The last n bytes of own_ are new text: the last piece grows, or a new one starts.
  void grow_own(size_t n) {
    if (!n) return;
    if (own_.size() > UINT32_MAX) throw std::length_error("TextPieces of 4 GiB");
    if (!pieces_.empty() && !pieces_.back().ref)
      pieces_.back().size += static_cast<uint32_t>(n);
    else
      pieces_.push_back(
          {nullptr, static_cast<uint32_t>(own_.size() - n), static_cast<uint32_t>(n)});
    own_end_ = own_.size();
    size_ += n;
  }

  bool gather_;
  fmt::memory_buffer own_;
  std::vector<Piece> pieces_;
  size_t own_end_ = 0; // own_'s bytes that are text (begin_write() reserves more)
  size_t size_ = 0;
};

} // namespace powner
