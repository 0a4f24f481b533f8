//===- tools/allocator/WarmReserve.cpp - New memory touched early ---------===//
//
// See WarmReserve.h. S2T_LINKS_MIMALLOC is defined by cmake/Mimalloc.cmake
// for the programs it links mimalloc into.
//
//===----------------------------------------------------------------------===//

#include "tools/allocator/WarmReserve.h"

#include <cstdlib>
#include <cstring>
#include <system_error>

namespace s2t::tools {

WarmReserve::WarmReserve([[maybe_unused]] size_t bytes) {
#ifdef S2T_LINKS_MIMALLOC
  block_ = std::malloc(bytes);
  if (!block_)
    return;
  try {
    toucher_ = std::thread(
        [block = block_, bytes] { std::memset(block, 0, bytes); });
  } catch (const std::system_error &) {
    // No thread to be had: the allocations after it touch their memory.
  }
#endif
}

WarmReserve::~WarmReserve() {
  if (toucher_.joinable())
    toucher_.join();
  std::free(block_);
}

} // namespace s2t::tools
