// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/diff_command.h"

#include "powner/host/exit_status.h"
#include "powner/host/opened_dump.h"
#include "powner/host/progress_line.h"
#include "powner/status.h"
#include "powner/triage/saved_top.h"
#include "powner/triage/top_diff.h"
#include "powner/triage/top_diff_report.h"
#include "powner/triage/top_walk.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <memory>

namespace powner {

namespace {

constexpr const char* kExamples = R"(
A and B: each a dump (VMCORE) or what `powner top --by KEY --json -n 0` printed for one. A
VMLINUX among the files (or -s) is both dumps'; --symbols-a and --symbols-b give each its own;
without one, a dump's types come from its BTF. Stacks match by their text (func+0xoff/0xsize):
dumps of one kernel build compare, dumps of two builds mostly do not.
Keys (--by): {1}
Examples ({0} ...):
  vmlinux before.vmcore after.vmcore       the stacks that grew most, then those that shrank
  vmlinux before.vmcore after.vmcore --by memcg
  before.json after.vmcore                 a saved `powner top --json -n 0` against a dump
  --symbols-a v1 --symbols-b v2 a b --by tgid --json
)";

// The files as named: a vmlinux (an ELF executable) is placed as the main command places it.
void place_files(DiffCommand& cmd, const std::vector<std::string>& files, const std::string& see,
                 bool host_dump) {
  std::string& vmlinux = cmd.vmlinux;
  std::vector<std::string> sides;
  for (const std::string& file : files) {
    DumpCommand placed;
    place_dump_files(placed, {file});
    if (placed.vmlinux.empty()) {
      sides.push_back(file);
      continue;
    }
    if (!vmlinux.empty())
      throw Error(Status::Usage,
                  fmt::format("{} and {} would both be the vmlinux: give one, or each dump its own "
                              "with --symbols-a and --symbols-b{}",
                              vmlinux, file, see));
    vmlinux = file;
  }
  if (host_dump && sides.size() == 1) { // B: the host's dump
    if (!cmd.symbols_b.empty() || !vmlinux.empty())
      throw Error(Status::Usage, fmt::format("B is this dump, read with its own types: "
                                             "--symbols-a gives A's vmlinux{}",
                                             see));
    cmd.a = sides[0];
    return;
  }
  if (sides.size() != 2)
    throw Error(Status::Usage,
                fmt::format("{} to compare, not {}: A and B, a dump or a saved powner top --json "
                            "each{}",
                            host_dump ? "one or two files" : "two files", sides.size(), see));
  cmd.a = sides[0];
  cmd.b = sides[1];
}

} // namespace

ParsedDiffCommand parse_diff_command(const std::vector<std::string>& args,
                                     const std::string& program, bool host_dump) {
  CLI::App app{"powner diff: what grew between two dumps of one machine; page_owner's records of "
               "each totalled as powner top totals them, compared group by group, growth first",
               program};
  app.footer(fmt::format(kExamples, program, top_key_names()));
  ParsedDiffCommand parsed;
  DiffCommand& cmd = parsed.command;
  std::string by = "stack";
  std::vector<std::string> files;
  app.add_option("--by", by, "group by KEY: " + top_key_names() + " (default: stack)");
  app.add_option("-n,--limit", cmd.limit, "rows shown, in the diff's order (default 20; 0: all)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--json", cmd.json, "JSON Lines: a header object, then one object per row");
  app.add_option("-s,--symbols", cmd.vmlinux, "vmlinux with DWARF debug info, for both dumps");
  app.add_option("--symbols-a", cmd.symbols_a, "A's vmlinux (default: -s, or A's BTF)");
  app.add_option("--symbols-b", cmd.symbols_b, "B's vmlinux (default: -s, or B's BTF)");
  app.add_flag("--force", cmd.dump.force, "read a dump even with a vmlinux that does not match");
  app.add_option("-j,--threads", cmd.dump.threads,
                 "threads reading each dump (default: the CPUs available)")
      ->check(CLI::Range(1U, 1024U));
  app.add_option("files", files, "A B: a dump or a saved powner top --json each; a VMLINUX too")
      ->expected(0, 3);
  const std::string see = fmt::format(" (see {} --help)", program);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 pops from the back
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    parsed.action = ParsedDiffCommand::Action::Print;
    parsed.text = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    throw Error(Status::Usage, parse_error_text(e) + see);
  }
  place_files(cmd, files, see, host_dump);
  auto key = top_key_from_name(by);
  if (!key)
    throw Error(Status::Usage, fmt::format("--by {}: not a key ({}){}", by, top_key_names(), see));
  cmd.by = *key;
  return parsed;
}

namespace {

// The whole file, or its first bytes (a dump's header: enough to tell it from JSON).
std::string read_file(const std::string& path, size_t limit) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) throw Error(Status::Unreadable, fmt::format("{}: {}", path, std::strerror(errno)));
  std::string text;
  char buf[65536];
  while (text.size() < limit) {
    const size_t n = std::fread(buf, 1, std::min(sizeof buf, limit - text.size()), f.get());
    text.append(buf, n);
    if (n == 0) break;
  }
  if (std::ferror(f.get()))
    throw Error(Status::Unreadable, fmt::format("{}: {}", path, std::strerror(errno)));
  return text;
}

struct Loaded {
  DiffSide side;
  std::vector<std::string> notes;
};

// A dump's records totalled by the command's key.
Loaded total_dump(const DiffCommand& cmd, char name, Engine& engine, Types& types,
                  const std::string& label, const Progress& progress) {
  Loaded loaded;
  TopResult result = run_top(engine, types, TopQuery{cmd.by, {}}, progress);
  for (const std::string& note : result.notes)
    loaded.notes.push_back(fmt::format("{}: {}", name, note));
  for (const std::string& note : engine.notes())
    loaded.notes.push_back(fmt::format("{}: {}", name, note));
  loaded.side = diff_side(std::move(result), label);
  loaded.side.release = engine.model().release;
  return loaded;
}

// name: 'A' or 'B'; symbols: its --symbols-a or --symbols-b.
Loaded load_side(const DiffCommand& cmd, char name, const std::string& path,
                 const std::string& symbols, const Progress& progress) {
  Loaded loaded;
  if (looks_like_json(read_file(path, 4096))) {
    if (!symbols.empty())
      throw Error(Status::Usage,
                  fmt::format("--symbols-{:c} {}: {} is a saved powner top --json, which needs no "
                              "vmlinux",
                              name + ('a' - 'A'), symbols, path));
    loaded.side = read_saved_top(read_file(path, ~size_t{0}), path, cmd.by);
    const DiffSide& s = loaded.side;
    if (!s.complete())
      loaded.notes.push_back(
          fmt::format("{}: {} lists {} of {} groups (saved with -n): a group it does not list is "
                      "shown as unknown, not as none; save with -n 0 for a whole diff",
                      name, path, s.groups.size(), s.group_count));
    if (s.selected_pages != s.total_pages || s.selected_records != s.total_records)
      loaded.notes.push_back(
          fmt::format("{}: {} was saved with a selection ({} of {} pages): only those are compared",
                      name, path, s.selected_pages, s.total_pages));
    return loaded;
  }
  DumpCommand dump = cmd.dump;
  dump.vmcore = path;
  dump.vmlinux = symbols.empty() ? cmd.vmlinux : symbols;
  OpenedDump opened = open_dump(dump, [&](const std::string& warning) {
    std::fprintf(stderr, "powner: warning: %c: %s\n", name, warning.c_str());
  });
  return total_dump(cmd, name, *opened.engine, opened.types->types(), path, progress);
}

int run(const DiffCommand& cmd) {
  std::vector<std::string> notes;
  std::string text;
  {
    ProgressLine progress;
    text = run_diff(cmd, nullptr, notes,
                    [&](uint64_t done, uint64_t total) { progress.update(done, total); });
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  for (const std::string& note : notes)
    std::fprintf(stderr, "powner: %s\n", note.c_str());
  return 0;
}

} // namespace

std::string run_diff(const DiffCommand& cmd, const HostDump* host, std::vector<std::string>& notes,
                     const Progress& progress) {
  Loaded a = load_side(cmd, 'A', cmd.a, cmd.symbols_a, progress);
  Loaded b = cmd.b.empty() && host != nullptr
                 ? total_dump(cmd, 'B', host->engine, host->types, host->label, progress)
                 : load_side(cmd, 'B', cmd.b, cmd.symbols_b, progress);
  const TopDiff diff = diff_tops(a.side, b.side);
  for (const Loaded* side : {&a, &b})
    notes.insert(notes.end(), side->notes.begin(), side->notes.end());
  const std::string &ra = a.side.release, &rb = b.side.release;
  if (!ra.empty() && !rb.empty() && ra != rb)
    notes.push_back(fmt::format("A is Linux {}, B Linux {}: a stack's offsets differ between "
                                "builds, so the same call site may not match",
                                ra, rb));
  return cmd.json ? diff_json_lines(diff, a.side, b.side, cmd.limit)
                  : diff_table(diff, a.side, b.side, cmd.limit);
}

int diff_command(const std::vector<std::string>& args, const std::string& program) {
  return exit_status_of([&] {
    ParsedDiffCommand parsed = parse_diff_command(args, program);
    if (parsed.action == ParsedDiffCommand::Action::Print) {
      std::fputs(parsed.text.c_str(), stdout);
      return 0;
    }
    return run(parsed.command);
  });
}

} // namespace powner
