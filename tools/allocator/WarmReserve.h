//===- tools/allocator/WarmReserve.h - New memory touched early -*- C++ -*-===//
//
// Memory that the pass will need, touched on a helper thread while the model
// loads, instead of on the pass's critical path.
//
// On the virtual machines s2t-opt is measured on, the guest reports the
// memory it frees to its host (virtio-balloon free page reporting, 2 MiB
// blocks), and the host backs such a block again when it is first touched:
// ~3.5 ms per 2 MiB page instead of ~0.15 ms, off the guest's CPU, in streaks
// (bench/measure.py's fresh_page_probe). The pass of a classifier needs about
// one new 2 MiB page of its heap, and paid for it in about half of the runs
// (squeezenet1_0: 1.2-1.4 ms or 4.9-5.7 ms). A WarmReserve allocates a block
// on the thread that constructs it and has a helper thread fill it; its
// destructor waits for the helper and frees the block into that thread's
// heap, where mimalloc keeps it (on large OS pages,
// tools/allocator/MimallocOptions.cpp) for the allocations that follow. With
// another allocator, which may give a freed block this large back to the
// system, it does nothing.
//
//===----------------------------------------------------------------------===//

#pragma once

#include <cstddef>
#include <thread>

namespace s2t::tools {

class WarmReserve {
public:
  /// About four times the new memory of a classifier's pass.
  static constexpr size_t kDefaultBytes = size_t(8) << 20;

  explicit WarmReserve(size_t bytes = kDefaultBytes);
  /// Waits for the helper thread, then frees the block.
  ~WarmReserve();
  WarmReserve(const WarmReserve &) = delete;
  WarmReserve &operator=(const WarmReserve &) = delete;

private:
  void *block_ = nullptr;
  std::thread toucher_;
};

} // namespace s2t::tools
