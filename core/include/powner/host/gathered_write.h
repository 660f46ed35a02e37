// SPDX-License-Identifier: GPL-2.0-or-later
// Writes a text in pieces (TextPieces) to a file descriptor with writev(), IOV_MAX pieces at a
// time: the kernel copies each piece from where it is, the only copy the stack texts get.
#pragma once

#include "powner/text_pieces.h"

namespace powner {

// All of text, in order; throws Error(Unreadable) with the system's reason when a write fails.
// Short writes (a pipe, a signal) are resumed where they stopped.
void write_gathered(int fd, const TextPieces& text);

} // namespace powner
