// SPDX-License-Identifier: GPL-2.0-or-later
#include "powner/host/dump_command.h"

#include "powner/status.h"

#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>

namespace powner {
namespace {

constexpr const char* kExamples = R"(
Examples ({0} ...):
  -c vmcore -s vmlinux                    the whole page_owner file
  -c vmcore -s vmlinux -m handle -n 1     node 1 only, stack handles instead of stacks
  -c vmcore -s vmlinux -n 0,2-3 -o po.txt nodes 0, 2 and 3, into po.txt
  -c vmcore -s vmlinux --stacks stacks --threshold 100
                                          stacks holding at least 100 pages
  -c vmcore -m stack_handle               no vmlinux: types from the dump's BTF
  vmlinux vmcore                          the files in crash's order (either order)
)";
constexpr const char* kLiveExample =
    "  -n 1 -o po.txt                          the running kernel (/proc/kcore), as root\n";

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

} // namespace

void place_dump_files(DumpCommand& cmd, const std::vector<std::string>& files) {
  for (const std::string& file : files) {
    const bool vmlinux = is_elf_executable(file);
    std::string& slot = vmlinux ? cmd.vmlinux : cmd.vmcore;
    if (!slot.empty())
      throw Error(Status::Usage, fmt::format("{} and {} would both be the {}: give one dump and "
                                             "at most one vmlinux",
                                             slot, file, vmlinux ? "vmlinux (-s)" : "dump (-c)"));
    slot = file;
  }
}

ParsedCommand parse_dump_command(const std::vector<std::string>& args, const std::string& program,
                                 bool live) {
  CLI::App app{"powner: who allocated the pages? page_owner from a kernel dump, as the live kernel "
               "prints it",
               program};
  std::string examples = fmt::format(kExamples, program);
  if (live) examples += kLiveExample;
  app.footer(examples);
  const std::string version = std::string("powner ") + POWNER_VERSION;
  app.set_version_flag("--version", version);
  ParsedCommand parsed;
  DumpCommand& cmd = parsed.command;
  std::vector<std::string> files;
  app.add_option("-c,--core", cmd.vmcore,
                 live ? "kernel dump (kdump-compressed, ELF, QEMU ELF); default: the running "
                        "kernel, through /proc/kcore"
                      : "kernel dump (kdump-compressed, ELF, QEMU ELF)");
  app.add_option("-s,--symbols", cmd.vmlinux,
                 "vmlinux with DWARF debug info (or its debug-only file); without it, types come "
                 "from the kernel's BTF (in the dump, or /sys/kernel/btf/vmlinux)");
  add_command_options(app, cmd);
  app.add_flag("--force", cmd.force, "read the dump even with a vmlinux that does not match it");
  app.add_option("files", files,
                 "VMCORE, or VMLINUX VMCORE in either order (as crash takes them), instead of -c "
                 "and -s")
      ->expected(0, 2);
  const std::string see = fmt::format(" (see {} --help)", program);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 pops from the back
    app.parse(reversed);
    check_command_line(app, cmd);
    place_dump_files(cmd, files);
  } catch (const CLI::CallForHelp&) {
    parsed.action = ParsedCommand::Action::Print;
    parsed.text = app.help();
    return parsed;
  } catch (const CLI::CallForVersion&) {
    parsed.action = ParsedCommand::Action::Print;
    parsed.text = version + "\n";
    return parsed;
  } catch (const CLI::ParseError& e) {
    throw Error(Status::Usage, parse_error_text(e) + see);
  }
  if (cmd.vmcore.empty() && !live)
    throw Error(Status::Usage, "no dump given: -c VMCORE, or VMCORE after the options" + see);
  return parsed;
}

} // namespace powner
