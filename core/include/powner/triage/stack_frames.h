// SPDX-License-Identifier: GPL-2.0-or-later
// The frames of a stack as the record prints it (" %pS\n" lines: "name+0xoff/0xsize [module]"):
// the module a frame is in, and a frame's function for folded stacks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace powner {

// The frames of a stack's text, innermost first, without their leading space and newline.
std::vector<std::string_view> stack_frames(std::string_view text);

// The module of a frame, from %pS's " [module]" suffix; "" for vmlinux and raw addresses.
std::string_view frame_module(std::string_view frame);

// A frame as folded stacks name it: its function, without +0xoff/0xsize (so that one function
// is one frame however far into it the call was), its " [module]" kept.
std::string folded_frame(std::string_view frame);

} // namespace powner
