// powner: /sys/kernel/debug/page_owner and page_owner_stacks, offline, from a kernel dump.
#include "btf_types.h"
#include "dwarf_types.h"
#include "engine.h"
#include "error.h"
#include "kdump_file.h"
#include "parallel_walk.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

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

struct Options {
  std::string vmcore = kLiveCore, vmlinux, mode, nodes, output, stacks, filter;
  std::optional<uint64_t> threshold;
  unsigned threads = 0; // 0: default_walk_threads()
  bool force = false;
};

// The vmlinux's DWARF, checked against the dump; null when the file has none (why_not says).
std::unique_ptr<powner::Types> dwarf_types(const Options& opt, const powner::VmcoreInfo& info,
                                           std::string& why_not) {
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
    std::fprintf(stderr, "powner: warning: %s\n", why.c_str());
  }
  return types;
}

int run(const Options& opt) {
  using namespace powner;
  KdumpFile dump(opt.vmcore);
  const VmcoreInfo& info = dump.vmcoreinfo();
  // Types from the vmlinux's DWARF, else from the kernel's own BTF: the running kernel's file
  // when reading it live, else the .BTF found through the dump's kallsyms (read first without
  // types: the vmlinux table needs none).
  std::string no_dwarf = "no vmlinux given (-s)";
  std::unique_ptr<Types> types = opt.vmlinux.empty() ? nullptr : dwarf_types(opt, info, no_dwarf);
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
  Engine engine(dump, *types, info);
  engine.set_walk_threads(opt.threads ? opt.threads : default_walk_threads());

  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, std::fclose);
  if (!opt.output.empty()) {
    file.reset(std::fopen(opt.output.c_str(), "w"));
    if (!file) throw Error(Status::Unreadable, opt.output + ": " + std::strerror(errno));
    out = file.get();
  }
  auto write = [&](std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), out) != text.size())
      throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  };

  if (!opt.stacks.empty()) {
    write(engine.stacks(stack_view_from_name(opt.stacks), opt.threshold));
  } else {
    Filter filter =
        filter_from_options(opt.mode, opt.nodes, opt.filter, engine.model().memory_nodes);
    ProgressLine progress;
    engine.page_owner(filter, write,
                      [&](uint64_t done, uint64_t total) { progress.update(done, total); });
  }
  if (std::fflush(out) != 0)
    throw Error(Status::Unreadable, fmt::format("writing the output: {}", std::strerror(errno)));
  if (std::string summary = engine.skipped_summary(); !summary.empty())
    std::fprintf(stderr, "powner: %s\n", summary.c_str());
  return 0;
}

} // namespace

int main(int argc, char** argv) {
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
  app.add_option("-m,--mode", opt.mode, "print mode: stack (default), handle, stack_handle");
  app.add_option("-n,--nid", opt.nodes, "only pages of these NUMA nodes: a node list like 0,2-3");
  app.add_option("--filter", opt.filter,
                 "a filter command as written to the page_owner file (\"mode=handle nid=0-1\")");
  app.add_option("-o,--output", opt.output, "write to FILE instead of standard output");
  app.add_option("--stacks", opt.stacks, "print a page_owner_stacks view instead")
      ->check(CLI::IsMember({"stacks", "handles", "stacks_handles"}));
  app.add_option("--threshold", opt.threshold,
                 "with --stacks: count_threshold (default: the dump's own value)");
  app.add_option("-j,--threads", opt.threads,
                 "threads reading the dump (default: the CPUs available); the output is the same")
      ->check(CLI::Range(1, 1024));
  app.add_flag("--force", opt.force, "read the dump even with a vmlinux that does not match it");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(powner::Status::Usage);
  }
  if (!opt.stacks.empty() && (!opt.mode.empty() || !opt.nodes.empty() || !opt.filter.empty())) {
    std::fprintf(stderr,
                 "powner: --stacks views take no -m or -n (the kernel's files have none)\n");
    return static_cast<int>(powner::Status::Usage);
  }
  try {
    return run(opt);
  } catch (const powner::Error& e) {
    std::fprintf(stderr, "powner: %s\n", e.what());
    return static_cast<int>(e.status());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "powner: internal error: %s\n", e.what());
    return static_cast<int>(powner::Status::Internal);
  }
}
