// SPDX-License-Identifier: GPL-2.0-or-later
// crash> powner: the CLI's options and output, with memory, types and VMCOREINFO from crash;
// crash> powner top and powner sort: the CLI's, on the same.
#include "crash_host.h"
#include "powner/engine.h"
#include "powner/host/command_options.h"
#include "powner/host/diff_command.h"
#include "powner/host/output_file.h"
#include "powner/host/sort_command.h"
#include "powner/host/top_command.h"
#include "powner/reader_agreement.h"
#include "powner/readers/kdump_file.h"
#include "powner/status.h"
#include "powner/triage/page_owner_sort.h"
#include "powner/triage/record_json.h"
#include "session_types.h"

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string>

namespace powner::crash {
namespace {

// Thrown to unwind a command that Ctrl-C or a closed pipe stopped.
struct Interrupted {};

// readmem(): crash's own reader.
class CrashReader final : public Memory {
public:
  bool read(uint64_t addr, void* out, size_t len) override {
    return len == 0 || powner_crash_read(addr, out, len) != 0;
  }
};

// crash's memory; or, when crash reads a dump file that libkdumpfile reads too and the two
// agree on it, that file through the CLI's reader: several times faster than readmem() for the
// walk's many small reads, and a reader the walk's worker threads can have copies of (crash's is
// not for other threads).
class CrashMemory final : public Memory {
public:
  bool read(uint64_t addr, void* out, size_t len) override {
    if (len == 0) return true;
    if (file_) return file_->read(addr, out, len);
    return crash_.read(addr, out, len);
  }
  std::unique_ptr<Memory> clone() override { return file_ ? file_->clone() : nullptr; }

  // Opens the dump file crash reads, if there is one; once a session.
  void open_dump_file(const VmcoreInfo& info) {
    if (tried_) return;
    tried_ = true;
    const char* path = powner_crash_dumpfile();
    if (!path) return; // a live system or a remote dump
    try {
      auto file = std::make_unique<KdumpFile>(path);
      if (readers_agree(*file, crash_, info)) file_ = std::move(file);
    } catch (const Error&) {
      // a format only crash reads
    }
  }

private:
  CrashReader crash_;
  std::unique_ptr<KdumpFile> file_;
  bool tried_ = false;
};

// The VMCOREINFO keys the engine reads, from the dump's note as crash reads them.
constexpr std::array kVmcoreinfoKeys = {
    "OSRELEASE",
    "BUILD-ID",
    "PAGESIZE",
    "KERNELOFFSET",
    "SYMBOL(mem_section)",
    "SYMBOL(vmemmap)",
    "SYMBOL(_stext)",
    "SYMBOL(kallsyms_names)",
    "SYMBOL(kallsyms_num_syms)",
    "SYMBOL(kallsyms_token_table)",
    "SYMBOL(kallsyms_token_index)",
    "SYMBOL(kallsyms_offsets)",
    "SYMBOL(kallsyms_relative_base)",
    "SYMBOL(kallsyms_addresses)",
    "SYMBOL(kallsyms_markers)",
    "SYMBOL(kallsyms_seqs_of_names)",
    "LENGTH(mem_section)",
    "LENGTH(node_data)",
    "LENGTH(zone.free_area)",
    "NUMBER(SECTION_SIZE_BITS)",
    "NUMBER(MAX_PHYSMEM_BITS)",
};
constexpr uint64_t kMaxVmcoreinfoBytes = 1 << 16;

// The note's values first (the first of duplicate keys wins), then the kernel's own
// vmcoreinfo_data for any key not listed above. Both variables are found in crash's symbol table,
// before there are types: vmcoreinfo_data is a pointer since Linux 4.13 (commit 203e9e41219b,
// "kexec: move vmcoreinfo out of the kernel's .bss section"), vmcoreinfo_size a size_t.
VmcoreInfo read_vmcoreinfo(Memory& mem) {
  std::string text;
  for (const char* key : kVmcoreinfoKeys) {
    std::unique_ptr<char, decltype(&std::free)> value(powner_crash_vmcoreinfo(key), std::free);
    if (value) text += fmt::format("{}={}\n", key, value.get());
  }
  uint64_t data = 0, size = 0, addr = 0, len = 0;
  if (powner_crash_symbols("vmcoreinfo_data", /*global_only=*/1, &data, 1) == 1 &&
      powner_crash_symbols("vmcoreinfo_size", /*global_only=*/1, &size, 1) == 1 &&
      mem.read(size, &len, sizeof len) && len > 0 && len <= kMaxVmcoreinfoBytes &&
      mem.read(data, &addr, sizeof addr)) {
    std::string kernel(len, '\0');
    if (mem.read(addr, kernel.data(), len)) text += kernel.substr(0, kernel.find('\0'));
  }
  return VmcoreInfo(text);
}

// What a session keeps between commands: its VMCOREINFO and types (and the answers they have
// given). A plain pointer, freed by the module's destructor only: a static object's own
// destructor would run first.
struct Session {
  CrashMemory memory;
  std::optional<VmcoreInfo> vmcoreinfo;
  std::unique_ptr<Types> types;
};
Session* session = nullptr;

enum Outcome { kDone = 0, kUsage = 1, kHelp = 2 };

// Parses argv with the CLI's options and checks (core/host/command_options).
std::optional<CommandOptions> parse(int argc, char** argv, Outcome& outcome) {
  CLI::App app{"powner"};
  app.set_help_flag();
  CommandOptions opt;
  bool help = false;
  app.add_flag("-h,--help", help);
  add_command_options(app, opt);
  try {
    app.parse(argc, argv);
    if (help) {
      outcome = kHelp;
      return std::nullopt;
    }
    check_command_line(app, opt);
  } catch (const CLI::ParseError& e) {
    powner_crash_error(parse_error_text(e).c_str());
    outcome = kUsage;
    return std::nullopt;
  } catch (const Error& e) {
    powner_crash_error(e.what());
    outcome = kUsage;
    return std::nullopt;
  }
  return opt;
}

// Writes to crash's output stream (or -o's file) in pieces, stopping on Ctrl-C or a pipe whose
// reader went away.
class Output {
public:
  explicit Output(const std::string& path) {
    if (path.empty()) {
      out_ = powner_crash_output();
    } else {
      const char* dump = powner_crash_dumpfile();
      file_.emplace(path, std::vector<OutputFile::Input>{{"crash's dump file", dump ? dump : ""}});
      out_ = file_->stream();
    }
  }
  void write(std::string_view text) {
    constexpr size_t kPiece = 1 << 16;
    while (!text.empty()) {
      if (powner_crash_interrupted()) throw Interrupted{};
      size_t n = std::min(text.size(), kPiece);
      if (std::fwrite(text.data(), 1, n, out_) != n) {
        if (powner_crash_interrupted() || errno == EPIPE) throw Interrupted{};
        throw Error(Status::Unreadable,
                    fmt::format("writing the output: {}", std::strerror(errno)));
      }
      text.remove_prefix(n);
    }
  }
  void finish() {
    if (file_) return file_->commit(); // an interrupted command never gets here: no file
    if (std::fflush(out_) != 0 && !powner_crash_interrupted() && errno != EPIPE)
      throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  }

private:
  std::optional<OutputFile> file_;
  std::FILE* out_ = nullptr;
};

// The engine on crash's memory and types (the session's answers kept for later commands).
std::unique_ptr<Engine> session_engine(unsigned threads, bool exact) {
  if (!session) session = new Session;
  if (!session->vmcoreinfo) session->vmcoreinfo = read_vmcoreinfo(session->memory);
  if (!session->types) {
    SessionTypes chosen = session_types(*session->vmcoreinfo);
    powner_crash_debug(fmt::format("types from {}", chosen.source).c_str());
    session->types = std::move(chosen.types);
  }
  session->memory.open_dump_file(*session->vmcoreinfo);
  auto engine = std::make_unique<Engine>(session->memory, *session->types, *session->vmcoreinfo);
  engine->set_walk_threads(threads);
  engine->set_exact(exact);
  if (powner_crash_interrupted()) throw Interrupted{};
  return engine;
}

void check_interrupt(uint64_t /*done*/, uint64_t /*total*/) {
  if (powner_crash_interrupted()) throw Interrupted{};
}

void run(const CommandOptions& opt) {
  std::unique_ptr<Engine> engine = session_engine(opt.threads, opt.exact);
  if (!opt.stacks.empty()) {
    std::string text = engine->stacks(stack_view_from_name(opt.stacks), opt.threshold);
    Output out(opt.output);
    out.write(text);
    out.finish();
  } else {
    Filter filter = filter_from_options(opt.filter, engine->model().memory_nodes);
    Output out(opt.output);
    auto write = [&](std::string_view text) { out.write(text); };
    if (opt.json)
      page_owner_json(*engine, filter, write, check_interrupt);
    else
      engine->page_owner(filter, write, check_interrupt);
    out.finish();
  }
  for (const std::string& note : engine->notes())
    powner_crash_note(note.c_str());
}

// A command's help, through crash's output.
Outcome print(const std::string& text) {
  Output out("");
  out.write(text);
  out.finish();
  return kDone;
}

// A subcommand's command line, parsed by parse (which throws Error(Usage) for a bad one): its
// command, or nothing once the error line (which names the subcommand's --help: no synopsis of
// plain powner) or its help was printed.
template <class Command, class Parse> std::optional<Command> parse_subcommand(const Parse& parse) {
  Parsed<Command> parsed;
  try {
    parsed = parse();
  } catch (const Error& e) {
    powner_crash_error(e.what());
    return std::nullopt;
  }
  if (parsed.action == Parsed<Command>::Action::Print) {
    print(parsed.text);
    return std::nullopt;
  }
  return std::move(parsed.command);
}

// crash> powner top [OPTIONS]: the dump is crash's (no files, no -c or -s).
Outcome run_top(const std::vector<std::string>& args) {
  const auto parsed = parse_subcommand<TopCommand>([&] {
    ParsedTopCommand top = parse_top_command(args, "powner top");
    const DumpCommand& dump = top.command.dump;
    if (!dump.vmcore.empty() || !dump.vmlinux.empty() || dump.force)
      throw Error(Status::Usage, "crash has the dump and its types: powner top takes no files, "
                                 "-c, -s or --force here (see powner top --help)");
    return top;
  });
  if (!parsed) return kDone;
  const TopCommand& cmd = *parsed;
  std::unique_ptr<Engine> engine = session_engine(cmd.dump.threads, cmd.dump.exact);
  const char* dump = powner_crash_dumpfile();
  const std::string title =
      fmt::format("powner top: {} (Linux {})", dump ? dump : "crash", engine->model().release);
  const TopAnswer answer = run_top_command(*engine, *session->types, cmd, title, check_interrupt);
  const TopResult& result = answer.result;
  if (!cmd.html.empty()) {
    Output page(cmd.html);
    page.write(answer.html);
    page.finish();
  }
  Output out("");
  out.write(top_text(cmd, result));
  out.finish();
  for (const std::string& note : result.notes)
    powner_crash_note(note.c_str());
  for (const std::string& note : engine->notes())
    powner_crash_note(note.c_str());
  return kDone;
}

// crash> powner sort [OPTIONS] [INPUT [OUTPUT]]: page_owner_sort on the dump's page_owner text
// (or, given INPUT, on that file, as the CLI does), through crash's output.
Outcome run_sort(const std::vector<std::string>& args) {
  const auto parsed = parse_subcommand<SortCommand>([&] {
    ParsedSortCommand sort = parse_sort_command(args, /*host_dump=*/true);
    if (!sort.command.core.empty())
      throw Error(Status::Usage, "crash has the dump: powner sort takes no --core here; without "
                                 "INPUT it sorts crash's dump (see powner sort --help)");
    return sort;
  });
  if (!parsed) return kDone;
  const SortCommand& cmd = *parsed;
  if (!cmd.input.empty()) { // a page_owner file: the CLI's own run, output and all
    run_sort_command(cmd);
    return kDone;
  }
  std::unique_ptr<Engine> engine = session_engine(0, false);
  const std::string text = page_owner_text(*engine, check_interrupt);
  Output out(cmd.output);
  page_owner_sort(text, text.size(), cmd.options,
                  [&](std::string_view chunk) { out.write(chunk); });
  out.finish();
  for (const std::string& note : engine->notes())
    powner_crash_note(note.c_str());
  return kDone;
}

// crash> powner diff [OPTIONS] A [B]: what grew since A (a saved powner top --json, or another
// dump) in crash's dump, or between A and B, as the CLI's powner diff prints it.
Outcome run_diff(const std::vector<std::string>& args) {
  const auto parsed = parse_subcommand<DiffCommand>(
      [&] { return parse_diff_command(args, "powner diff", /*host_dump=*/true); });
  if (!parsed) return kDone;
  const DiffCommand& cmd = *parsed;
  std::unique_ptr<Engine> engine = session_engine(cmd.dump.threads, cmd.dump.exact);
  const char* dump = powner_crash_dumpfile();
  const HostDump host{*engine, *session->types, dump ? dump : "crash's dump"};
  std::vector<std::string> notes;
  Output out("");
  out.write(powner::run_diff(cmd, &host, notes, check_interrupt));
  out.finish();
  for (const std::string& note : notes)
    powner_crash_note(note.c_str());
  return kDone;
}

} // namespace
} // namespace powner::crash

extern "C" int powner_command(int argc, char** argv) {
  using namespace powner::crash;
  // Nothing may leave this function: crash is C and would abort.
  try {
    try {
      if (argc > 1 && std::strcmp(argv[1], "top") == 0)
        return run_top(std::vector<std::string>(argv + 2, argv + argc));
      if (argc > 1 && std::strcmp(argv[1], "sort") == 0)
        return run_sort(std::vector<std::string>(argv + 2, argv + argc));
      if (argc > 1 && std::strcmp(argv[1], "diff") == 0)
        return run_diff(std::vector<std::string>(argv + 2, argv + argc));
      Outcome outcome = kDone;
      auto opt = parse(argc, argv, outcome);
      if (!opt) return outcome;
      run(*opt);
    } catch (const Interrupted&) {
    } catch (const powner::Error& e) {
      powner_crash_error(e.what());
    } catch (const std::exception& e) {
      powner_crash_error((std::string("internal error: ") + e.what()).c_str());
    }
  } catch (...) {
    powner_crash_error("internal error");
  }
  return kDone;
}

extern "C" void powner_unload(void) {
  delete powner::crash::session;
  powner::crash::session = nullptr;
}
