// SPDX-License-Identifier: GPL-2.0-or-later
// The fixture dumps for tests that run the engine on real dumps: every vmcore.* under
// $POWNER_FIXTURES/KERNEL/FIXTURE/, opened with the powner command's readers and its vmlinux.
#pragma once

#include "powner/engine.h"
#include "powner/readers/dwarf_types.h"
#include "powner/readers/kdump_file.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace powner::testing {

struct FixtureDump {
  std::string name; // KERNEL/FIXTURE/vmcore.*
  std::unique_ptr<KdumpFile> file;
  std::unique_ptr<DwarfTypes> types;
  std::unique_ptr<Engine> engine;
};

// Empty when $POWNER_FIXTURES is not set or not a folder.
inline std::vector<FixtureDump> open_fixture_dumps() {
  namespace fs = std::filesystem;
  std::vector<FixtureDump> dumps;
  const char* dir = std::getenv("POWNER_FIXTURES");
  if (dir == nullptr || !fs::is_directory(dir)) return dumps;
  std::vector<fs::path> paths;
  for (const auto& kernel : fs::directory_iterator(dir))
    if (kernel.is_directory())
      for (const auto& fixture : fs::directory_iterator(kernel.path()))
        if (fixture.is_directory())
          for (const auto& file : fs::directory_iterator(fixture.path()))
            if (file.path().filename().string().rfind("vmcore.", 0) == 0)
              paths.push_back(file.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    FixtureDump d;
    d.name = path.lexically_relative(dir).string();
    d.file = std::make_unique<KdumpFile>(path.string());
    d.types = std::make_unique<DwarfTypes>((path.parent_path() / "vmlinux").string(),
                                           d.file->vmcoreinfo().kaslr_offset().value_or(0));
    d.engine = std::make_unique<Engine>(*d.file, *d.types, d.file->vmcoreinfo());
    dumps.push_back(std::move(d));
  }
  return dumps;
}

} // namespace powner::testing
