// powner: /sys/kernel/debug/page_owner and page_owner_stacks, offline, from a kernel dump.
#include "btf_types.h"
#include "command_options.h"
#include "dwarf_types.h"
#include "engine.h"
#include "error.h"
#include "kdump_file.h"
#include "output_file.h"
#include "parallel_walk.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// The running kernel, and its BTF.
constexpr const char* kLiveCore = "/proc/kcore";
constexpr const char* kLiveBtf = "/sys/kernel/btf/vmlinux";

constexpr const char* kExamples = R"(
Examples:
  powner -c vmcore -s vmlinux                    the whole page_owner file
  powner -c vmcore -s vmlinux -m handle -n 1     node 1 only, stack handles instead of stacks
  powner -c vmcore -s vmlinux -n 0,2-3 -o po.txt nodes 0, 2 and 3, into po.txt
  powner -c vmcore -s vmlinux --stacks stacks --threshold 100
                                                 stacks holding at least 100 pages
  powner -c vmcore -m stack_handle               no vmlinux: types from the dump's BTF
  powner -n 1 -o po.txt                          the running kernel (/proc/kcore), as root
  powner vmlinux vmcore                          the files in crash's order (either order)
)";

// Progress on stderr, only when it is a terminal.
class ProgressLine {
public:
  ProgressLine() : enabled_(isatty(STDERR_FILENO)) {}
  ~ProgressLine() { clear(); }
  void update(uint64_t done, uint64_t total) {
    if (!enabled_ || !total) return;
    std::fprintf(stderr, "\rpowner: %3u%% of %llu pages", static_cast<unsigned>(done * 100 / total),
                 static_cast<unsigned long long>(total));
    shown_ = true;
  }
  void clear() {
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

private:
  bool enabled_;
  bool shown_ = false;
};

struct Options : powner::CommandOptions {
  std::string vmcore, vmlinux;    // vmcore "": the running kernel
  std::vector<std::string> files; // VMCORE or VMLINUX VMCORE (in either order), as crash takes them
  bool force = false;
};

// An ELF file that is not a core (an executable, a debug file) is a vmlinux; anything else is
// left to the dump reader to judge.
bool is_elf_executable(const std::string& path) {
  unsigned char hdr[EI_NIDENT + 2] = {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  const bool read = std::fread(hdr, 1, sizeof hdr, f) == sizeof hdr;
  std::fclose(f);
  if (!read || std::memcmp(hdr, ELFMAG, SELFMAG) != 0) return false;
  const unsigned type = hdr[EI_DATA] == ELFDATA2MSB ? hdr[EI_NIDENT] << 8 | hdr[EI_NIDENT + 1]
                                                    : hdr[EI_NIDENT + 1] << 8 | hdr[EI_NIDENT];
  return type != ET_CORE;
}

// Puts the positional files where -c and -s would have: a vmlinux by its ELF type, the dump
// as the other one.
void place_files(Options& opt) {
  using powner::Error, powner::Status;
  for (const std::string& file : opt.files) {
    const bool vmlinux = is_elf_executable(file);
    std::string& slot = vmlinux ? opt.vmlinux : opt.vmcore;
    if (!slot.empty())
      throw Error(Status::Usage, fmt::format("{} and {} would both be the {}: give one dump and "
                                             "at most one vmlinux",
                                             slot, file, vmlinux ? "vmlinux (-s)" : "dump (-c)"));
    slot = file;
  }
}

// Ctrl-C, a hang-up or a kill while -o's file is written: the temporary file goes, then the
// signal takes its usual course (exit status 128 + signal: 130 for SIGINT).
void die_of_signal(int sig) {
  powner::OutputFile::remove_temporary_on_signal();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// The vmlinux's DWARF, checked against the dump; null when the file has none (why_not says).
// forced: set when the vmlinux does not match and --force reads it anyway.
std::unique_ptr<powner::Types> dwarf_types(const Options& opt, const powner::VmcoreInfo& info,
                                           std::string& why_not, bool& forced) {
  using namespace powner;
  std::unique_ptr<DwarfTypes> types;
  try {
    types = std::make_unique<DwarfTypes>(opt.vmlinux, info.kaslr_offset().value_or(0));
  } catch (const Error& e) {
    if (e.status() != Status::NoDebugInfo) throw;
    why_not = e.what();
    return nullptr;
  }
  // The vmlinux must be the dump's: by build id, else by release.
  std::string dump_id(info.build_id());
  std::string file_id = types->build_id();
  std::string why;
  if (!dump_id.empty() && !file_id.empty()) {
    if (file_id.rfind(dump_id, 0) != 0 && dump_id.rfind(file_id, 0) != 0)
      why = fmt::format("{} (build id {}) does not match the dump (Linux {}, build id {})",
                        opt.vmlinux, file_id, info.osrelease(), dump_id);
  } else if (std::string release = types->release(); !release.empty()) {
    if (release != info.osrelease())
      why = fmt::format("{} (Linux {}) does not match the dump (Linux {})", opt.vmlinux, release,
                        info.osrelease());
  } else if (!info.osrelease().empty()) { // (a dump without one is not read at all)
    std::fprintf(stderr,
                 "powner: warning: cannot check that %s belongs to the dump (no build ids, and "
                 "no release in the vmlinux)\n",
                 opt.vmlinux.c_str());
  }
  if (!why.empty()) {
    if (!opt.force) throw Error(Status::Mismatch, why + "; --force reads it anyway");
    forced = true;
    std::fprintf(stderr, "powner: warning: %s\n", why.c_str());
  }
  return types;
}

// The dump; without one, the running kernel, and a line that says what was tried.
std::unique_ptr<powner::KdumpFile> open_dump(const Options& opt) {
  using namespace powner;
  if (!opt.vmcore.empty()) return std::make_unique<KdumpFile>(opt.vmcore);
  try {
    return std::make_unique<KdumpFile>(kLiveCore);
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("no dump given, and the running kernel cannot be read "
                                        "({}); -c VMCORE reads a dump",
                                        e.what()));
  }
}

int run(const Options& opt) {
  using namespace powner;
  std::unique_ptr<KdumpFile> opened = open_dump(opt);
  KdumpFile& dump = *opened;
  const VmcoreInfo& info = dump.vmcoreinfo();
  // Types from the vmlinux's DWARF, else from the kernel's own BTF: the running kernel's file
  // when reading it live, else the .BTF found through the dump's kallsyms (read first without
  // types: the vmlinux table needs none).
  std::string no_dwarf = "no vmlinux given (-s)";
  bool forced = false;
  std::unique_ptr<Types> types =
      opt.vmlinux.empty() ? nullptr : dwarf_types(opt, info, no_dwarf, forced);
  NoTypes no_types;
  std::unique_ptr<KernelSymbols> bootstrap;
  if (!types) {
    bootstrap = std::make_unique<KernelSymbols>(dump, info, no_types);
    bool live = dump.live() && access(kLiveBtf, R_OK) == 0;
    try {
      types = live ? BtfTypes::from_file(kLiveBtf, bootstrap.get())
                   : BtfTypes::from_dump(dump, *bootstrap);
    } catch (const Error& e) {
      throw Error(Status::NoDebugInfo, fmt::format("{}, and {}", no_dwarf, e.what()));
    }
    if (!opt.vmlinux.empty())
      std::fprintf(stderr, "powner: warning: %s; types from the kernel's BTF %s\n",
                   no_dwarf.c_str(), live ? "(/sys/kernel/btf/vmlinux)" : "in the dump");
  }
  // With another kernel's types, the model's checks fail on values read at the wrong places:
  // the cause is the types (exit 6, as --force promises), not the dump or its page_owner.
  auto make_engine = [&] {
    try {
      return std::make_unique<Engine>(dump, *types, info);
    } catch (const Error& e) {
      if (!forced || (e.status() != Status::NoPageOwner && e.status() != Status::Corrupt)) throw;
      throw Error(
          Status::NoDebugInfo,
          fmt::format("{}: the types of {} (forced) do not fit this dump", e.what(), opt.vmlinux));
    }
  };
  std::unique_ptr<Engine> made = make_engine();
  Engine& engine = *made;
  engine.set_walk_threads(opt.threads ? opt.threads : default_walk_threads());

  // Checked before -o's file is made: a filter the kernel rejects leaves no file behind.
  std::optional<Filter> filter;
  if (opt.stacks.empty()) filter = filter_from_options(opt.filter, engine.model().memory_nodes);

  std::optional<OutputFile> file;
  if (!opt.output.empty())
    file.emplace(opt.output, std::vector<OutputFile::Input>{{"the dump (-c)", dump.path()},
                                                            {"the vmlinux (-s)", opt.vmlinux}});
  std::FILE* out = file ? file->stream() : stdout;
  auto write = [&](std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), out) != text.size())
      throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  };

  if (!filter) {
    write(engine.stacks(stack_view_from_name(opt.stacks), opt.threshold));
  } else {
    ProgressLine progress;
    engine.page_owner(*filter, write,
                      [&](uint64_t done, uint64_t total) { progress.update(done, total); });
  }
  if (file)
    file->commit();
  else if (std::fflush(out) != 0)
    throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  if (std::string summary = engine.skipped_summary(); !summary.empty())
    std::fprintf(stderr, "powner: %s\n", summary.c_str());
  if (std::string hint = engine.skipped_hint(); !hint.empty())
    std::fprintf(stderr, "powner: hint: %s\n", hint.c_str());
  return 0;
}

int command(int argc, char** argv) {
  using powner::Error, powner::Status;
  CLI::App app{"powner: who allocated the pages? page_owner from a kernel dump, as the live kernel "
               "prints it"};
  app.footer(kExamples);
  app.set_version_flag("--version", std::string("powner ") + POWNER_VERSION);
  Options opt;
  app.add_option("-c,--core", opt.vmcore,
                 "kernel dump (kdump-compressed, ELF, QEMU ELF); default: the running kernel, "
                 "through /proc/kcore");
  app.add_option("-s,--symbols", opt.vmlinux,
                 "vmlinux with DWARF debug info (or its debug-only file); without it, types come "
                 "from the kernel's BTF (in the dump, or /sys/kernel/btf/vmlinux)");
  powner::add_command_options(app, opt);
  app.add_flag("--force", opt.force, "read the dump even with a vmlinux that does not match it");
  app.add_option("files", opt.files,
                 "VMCORE, or VMLINUX VMCORE in either order (as crash takes "
                 "them), instead of -c and -s")
      ->expected(0, 2);
  try {
    app.parse(argc, argv);
    powner::check_command_line(app, opt);
    place_files(opt);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "powner: %s (see powner --help)\n", powner::parse_error_text(e).c_str());
    return static_cast<int>(Status::Usage);
  } catch (const Error& e) {
    std::fprintf(stderr, "powner: %s\n", e.what());
    return static_cast<int>(e.status());
  }
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    std::signal(sig, die_of_signal);
  try {
    return run(opt);
  } catch (const Error& e) {
    std::fprintf(stderr, "powner: %s\n", e.what());
    return static_cast<int>(e.status());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "powner: internal error: %s\n", e.what());
    return static_cast<int>(Status::Internal);
  }
}

} // namespace

int main(int argc, char** argv) {
  try {
    return command(argc, argv);
  } catch (const std::exception& e) { // the parser's own set-up, say: nothing may escape main()
    std::fprintf(stderr, "powner: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "powner: internal error\n");
  }
  return static_cast<int>(powner::Status::Internal);
}
