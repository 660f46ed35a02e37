// SPDX-License-Identifier: GPL-2.0-or-later
// powner: /sys/kernel/debug/page_owner and page_owner_stacks, offline, from a kernel dump.
#include "powner/engine.h"
#include "powner/host/diff_command.h"
#include "powner/host/dump_command.h"
#include "powner/host/exit_status.h"
#include "powner/host/gathered_write.h"
#include "powner/host/opened_dump.h"
#include "powner/host/output_file.h"
#include "powner/host/progress_line.h"
#include "powner/host/sort_command.h"
#include "powner/host/top_command.h"
#include "powner/parallel_walk.h"
#include "powner/readers/kdump_file.h"
#include "powner/status.h"
#include "powner/triage/record_json.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Options = powner::DumpCommand;

// Ctrl-C, a hang-up or a kill while -o's file is written: the temporary file goes, then the
// signal takes its usual course (exit status 128 + signal: 130 for SIGINT).
void die_of_signal(int sig) {
  powner::OutputFile::remove_temporary_on_signal();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

[[noreturn]] void output_failed() {
  throw powner::Error(powner::Status::Unreadable,
                      fmt::format("writing the output: {}", std::strerror(errno)));
}

int run(const Options& opt) {
  using namespace powner;
  OpenedDump opened = open_dump(opt, [](const std::string& warning) {
    std::fprintf(stderr, "powner: warning: %s\n", warning.c_str());
  });
  KdumpFile& dump = *opened.dump;
  Engine& engine = *opened.engine;

  // Checked before -o's file is made: a filter the kernel rejects leaves no file behind.
  std::optional<Filter> filter;
  if (opt.stacks.empty()) filter = filter_from_options(opt.filter, engine.model().memory_nodes);

  std::optional<OutputFile> file;
  if (!opt.output.empty())
    file.emplace(opt.output, std::vector<OutputFile::Input>{{"the dump (-c)", dump.path()},
                                                            {"the vmlinux (-s)", opt.vmlinux}});
  std::FILE* out = file ? file->stream() : stdout;
  auto write = [&](std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), out) != text.size()) output_failed();
  };

  if (!filter) {
    write(engine.stacks(stack_view_from_name(opt.stacks), opt.threshold));
  } else {
    ProgressLine progress;
    auto update = [&](uint64_t done, uint64_t total) { progress.update(done, total); };
    if (opt.json) {
      page_owner_json(engine, *filter, write, update);
    } else {
      // Past stdio: each stack text is written from where the engine keeps it.
      if (std::fflush(out) != 0) output_failed();
      const int fd = fileno(out);
      engine.page_owner_pieces(
          *filter, [&](const TextPieces& text) { write_gathered(fd, text); }, update);
    }
  }
  if (file)
    file->commit();
  else if (std::fflush(out) != 0)
    output_failed();
  for (const std::string& note : engine.notes())
    std::fprintf(stderr, "powner: %s\n", note.c_str());
  return 0;
}

int command(int argc, char** argv) {
  return powner::exit_status_of([&] {
    powner::ParsedCommand parsed =
        powner::parse_dump_command({argv + 1, argv + argc}, "powner", /*live=*/true);
    if (parsed.action == powner::ParsedCommand::Action::Print) {
      std::fputs(parsed.text.c_str(), stdout);
      return 0;
    }
    // A command line that parsed: -o's file may be made from here on.
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
      std::signal(sig, die_of_signal);
    return run(parsed.command);
  });
}

} // namespace

int main(int argc, char** argv) {
  try {
    const std::string sub = argc > 1 ? argv[1] : "";
    if (sub == "top" || sub == "sort") // top's --html and sort's OUTPUT are written whole too
      for (int sig : {SIGINT, SIGTERM, SIGHUP})
        std::signal(sig, die_of_signal);
    if (sub == "top") return powner::top_command({argv + 2, argv + argc}, "powner top");
    if (sub == "sort") return powner::sort_command({argv + 2, argv + argc}); // page_owner_sort
    if (sub == "diff") return powner::diff_command({argv + 2, argv + argc}, "powner diff");
    return command(argc, argv);
  } catch (const std::exception& e) { // the parser's own set-up, say: nothing may escape main()
    std::fprintf(stderr, "powner: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "powner: internal error\n");
  }
  return static_cast<int>(powner::Status::Internal);
}
