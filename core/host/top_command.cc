// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/top_command.h"

#include "powner/host/exit_status.h"
#include "powner/host/html_report.h"
#include "powner/host/opened_dump.h"
#include "powner/host/output_file.h"
#include "powner/host/progress_line.h"
#include "powner/status.h"
#include "powner/triage/top_report.h"
#include "powner/triage/top_walk.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <optional>

namespace powner {

namespace {

constexpr const char* kExamples = R"(
Keys (--by): {1}
Examples ({0} ...):
  vmlinux vmcore                          the 20 stacks holding the most pages
  vmlinux vmcore --by tgid -n 0           every process, exited ones marked
  vmlinux vmcore --by memcg --json        memcgs, as JSON Lines
  vmlinux vmcore --since 1m --by stack    what was allocated in the last minute before the crash
  vmlinux vmcore --folded > po.folded     for flamegraph.pl, inferno or speedscope
)";

std::optional<uint64_t> duration_option(const std::optional<std::string>& text, const char* option,
                                        const std::string& see) {
  if (!text) return std::nullopt;
  auto ns = parse_duration(*text);
  if (!ns)
    throw Error(Status::Usage, fmt::format("{} {}: not a duration (30s, 10m, 2h, 1d, 500ms){}",
                                           option, *text, see));
  return ns;
}

} // namespace

ParsedTopCommand parse_top_command(const std::vector<std::string>& args,
                                   const std::string& program) {
  CLI::App app{
      "powner top: who holds the memory; page_owner's records of a dump, totalled by "
      "stack, process, memcg, module, order, gfp mask, migrate type, node, age or allocator",
      program};
  app.footer(fmt::format(kExamples, program, top_key_names()));
  ParsedTopCommand parsed;
  TopCommand& cmd = parsed.command;
  TopSelection& sel = cmd.query.select;
  std::string by = "stack";
  std::optional<std::string> since, until;
  std::vector<std::string> files;
  app.add_option("--by", by, "group by KEY: " + top_key_names() + " (default: stack)");
  app.add_option("--pid", sel.pid, "only records of this pid");
  app.add_option("--tgid", sel.tgid, "only records of this thread group");
  app.add_option("--comm", sel.comm, "only records of tasks of this name");
  app.add_option("--memcg", sel.memcg, "only pages charged to the memcg of this name");
  app.add_option("--module", sel.module, "only records with a frame in this module");
  app.add_option("--node", sel.node, "only pages of this NUMA node");
  app.add_option("--since", since,
                 "only pages allocated at most DURATION before the crash (30s, 10m, 2h)");
  app.add_option("--until", until, "only pages allocated at least DURATION before the crash");
  app.add_option("-n,--limit", cmd.limit, "groups shown, largest first (default 20; 0: all)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--json", cmd.json, "JSON Lines: a header object, then one object per group");
  app.add_flag("--folded", cmd.folded,
               "folded stacks weighted by pages, for flame graphs (every stack)");
  app.add_option("--html", cmd.html,
                 "also write FILE: one self-contained page with the top stacks, memcgs, nodes "
                 "and processes, bars and a flame graph");
  app.add_option("-c,--core", cmd.dump.vmcore, "kernel dump; default: the running kernel");
  app.add_option("-s,--symbols", cmd.dump.vmlinux,
                 "vmlinux with DWARF debug info; without it, types come from the kernel's BTF");
  app.add_flag("--force", cmd.dump.force, "read the dump even with a vmlinux that does not match");
  app.add_option("-j,--threads", cmd.dump.threads,
                 "threads reading the dump (default: the CPUs available)")
      ->check(CLI::Range(1U, 1024U));
  app.add_option("files", files, "VMCORE, or VMLINUX VMCORE in either order")->expected(0, 2);
  const std::string see = fmt::format(" (see {} --help)", program);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 pops from the back
    app.parse(reversed);
    place_dump_files(cmd.dump, files);
  } catch (const CLI::CallForHelp&) {
    parsed.action = ParsedTopCommand::Action::Print;
    parsed.text = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    throw Error(Status::Usage, parse_error_text(e) + see);
  }
  auto key = top_key_from_name(by);
  if (!key)
    throw Error(Status::Usage, fmt::format("--by {}: not a key ({}){}", by, top_key_names(), see));
  cmd.query.by = *key;
  if (cmd.json && cmd.folded) throw Error(Status::Usage, "--json or --folded, not both" + see);
  if (cmd.folded && cmd.query.by != TopKey::Stack)
    throw Error(Status::Usage, "--folded folds stacks: it takes no --by other than stack" + see);
  sel.since_ns = duration_option(since, "--since", see);
  sel.until_ns = duration_option(until, "--until", see);
  return parsed;
}

std::string top_text(const TopCommand& cmd, const TopResult& result) {
  return cmd.folded ? top_folded(result)
         : cmd.json ? top_json_lines(result, cmd.limit)
                    : top_table(result, cmd.limit);
}

TopAnswer run_top_command(Engine& engine, Types& types, const TopCommand& cmd,
                          const std::string& title, const Progress& progress) {
  std::vector<TopKey> keys = {cmd.query.by}; // the answer's, then the page's sections
  std::vector<std::string> notes;
  if (!cmd.html.empty())
    for (TopKey key : {TopKey::Stack, TopKey::Memcg, TopKey::Node, TopKey::Tgid}) {
      try {
        check_top_query(engine.model(), TopQuery{key, cmd.query.select});
        keys.push_back(key);
      } catch (const Error& e) {
        if (e.status() != Status::Usage) throw;
        notes.push_back(fmt::format("--html: no {} section: {}", top_key_name(key), e.what()));
      }
    }
  std::vector<TopResult> results = run_top(engine, types, cmd.query.select, keys, progress);
  TopAnswer answer{std::move(results.front()), {}};
  answer.result.notes.insert(answer.result.notes.end(), notes.begin(), notes.end());
  if (!cmd.html.empty()) {
    results.erase(results.begin());
    answer.html = html_report(title, top_report_json(results, cmd.limit));
  }
  return answer;
}

namespace {

int run(const TopCommand& cmd) {
  OpenedDump opened = open_dump(cmd.dump, [](const std::string& warning) {
    std::fprintf(stderr, "powner: warning: %s\n", warning.c_str());
  });
  Engine& engine = *opened.engine;
  std::optional<OutputFile> file; // made before the walk: a refused --html costs no walk
  if (!cmd.html.empty())
    file.emplace(cmd.html,
                 std::vector<OutputFile::Input>{{"the dump", cmd.dump.vmcore},
                                                {"the vmlinux", cmd.dump.vmlinux}},
                 "--html");
  const std::string title = fmt::format(
      "powner top: {} (Linux {})", cmd.dump.vmcore.empty() ? "the running kernel" : cmd.dump.vmcore,
      engine.model().release);
  TopAnswer answer;
  {
    ProgressLine progress;
    answer = run_top_command(engine, opened.types->types(), cmd, title,
                             [&](uint64_t done, uint64_t total) { progress.update(done, total); });
  }
  const TopResult& result = answer.result;
  if (file) {
    const std::string& page = answer.html;
    if (std::fwrite(page.data(), 1, page.size(), file->stream()) != page.size())
      throw Error(Status::Unreadable,
                  fmt::format("writing {}: {}", cmd.html, std::strerror(errno)));
    file->commit();
  }
  const std::string text = top_text(cmd, result);
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  for (const std::string& note : result.notes)
    std::fprintf(stderr, "powner: %s\n", note.c_str());
  for (const std::string& note : engine.notes())
    std::fprintf(stderr, "powner: %s\n", note.c_str());
  return 0;
}

} // namespace

int top_command(const std::vector<std::string>& args, const std::string& program) {
  return exit_status_of([&] {
    ParsedTopCommand parsed = parse_top_command(args, program);
    if (parsed.action == ParsedTopCommand::Action::Print) {
      std::fputs(parsed.text.c_str(), stdout);
      return 0;
    }
    return run(parsed.command);
  });
}

} // namespace powner
