// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/triage/stack_frames.h"

namespace powner {

std::vector<std::string_view> stack_frames(std::string_view text) {
  std::vector<std::string_view> frames;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!line.empty() && line.front() == ' ')
      line.remove_prefix(1);
    if (!line.empty()) frames.push_back(line);
  }
  return frames;
}

std::string_view frame_module(std::string_view frame) {
  if (frame.empty() || frame.back() != ']') return {};
  size_t open = frame.rfind(" [");
  if (open == std::string_view::npos) return {};
  return frame.substr(open + 2, frame.size() - open - 3);
}

std::string folded_frame(std::string_view frame) {
  std::string_view module = frame_module(frame);
  std::string_view name = frame.substr(0, frame.find(' '));
  // "name+0xoff/0xsize": the offset starts at the last '+' (names may hold '+' only in
  // compiler-made suffixes before it, never after).
  if (size_t plus = name.rfind("+0x"); plus != std::string_view::npos && plus > 0)
    name = name.substr(0, plus);
  std::string out(name);
  if (!module.empty()) out.append(" [").append(module).append("]");
  return out;
}

} // namespace powner
