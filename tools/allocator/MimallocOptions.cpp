//===- tools/allocator/MimallocOptions.cpp - mimalloc's settings ----------===//
//
// The settings of mimalloc in the processes that link it (s2t-opt and the
// benchmark's floor, cmake/Mimalloc.cmake), made before any library's
// initializers run.
//
// Large OS pages: mimalloc asks the kernel for 2 MiB pages (transparent huge
// pages, where the kernel gives them) for the memory it maps. A conversion
// touches every page it allocates for the first time; on the virtual
// machines this project is measured on, a 4 KiB page fault costs ~11 us.
// s2t-opt on resnet50 (2 threads) faulted ~45,000 times, ~6,000 of them
// before main, ~5,500 in loading the archive and ~220 in the pass (about
// half of its ~7 ms); with these settings ~5,900 in all, ~20 in the pass
// (~3.5 ms). The 100,000-iteration loop's pass: ~30,000 faults and ~520 ms,
// now ~60 and 160-380 ms (bench/profile.md). MIMALLOC_LARGE_OS_PAGES or
// MIMALLOC_EAGER_COMMIT_DELAY in the environment decides instead, as
// mimalloc documents.
//
//===----------------------------------------------------------------------===//

#include <mimalloc.h>

#include <cstring>

namespace {

bool inEnvironment(char **environment, const char *name) {
  size_t length = std::strlen(name);
  for (char **entry = environment; entry && *entry; ++entry)
    if (std::strncmp(*entry, name, length) == 0 && (*entry)[length] == '=')
      return true;
  return false;
}

/// Sets `option` to `value` unless the environment gives it (mimalloc reads
/// the environment when it starts, after this, and only for options not set).
void setDefault(char **environment, const char *variable, mi_option_t option,
                long value) {
  if (!inEnvironment(environment, variable))
    mi_option_set(option, value);
}

void setOptions(int, char **, char **environment) {
  setDefault(environment, "MIMALLOC_LARGE_OS_PAGES",
             mi_option_large_os_pages, 1);
  // Without this, a thread's memory is committed lazily, in pieces, while
  // other threads run, and gets no large pages: s2t-opt converts on a
  // thread of its own (tools/s2t-opt), and its load of resnet50 faulted
  // ~5,500 times there against ~120 on the main thread.
  setDefault(environment, "MIMALLOC_EAGER_COMMIT_DELAY",
             mi_option_eager_commit_delay, 0);
}

} // namespace

// Run before the initializers of every shared library (the ELF preinit
// array), so that LibTorch's static objects are on the large pages too: set
// from a static object of this file instead, each run faulted ~11,000 times
// more.
using Initializer = void (*)(int, char **, char **);
__attribute__((section(".preinit_array"),
               used)) static const Initializer preinit = setOptions;
