// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/exit_status.h"

#include "powner/status.h"

#include <cstdio>
#include <exception>
#include <fmt/format.h>

namespace powner {

int exit_status_of(const std::function<int()>& body, std::string_view prefix) {
  try {
    return body();
  } catch (const Error& e) {
    fmt::print(stderr, "{}: {}\n", prefix, e.what());
    return static_cast<int>(e.status());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: internal error: {}\n", prefix, e.what());
    return static_cast<int>(Status::Internal);
  }
}

} // namespace powner
