// Preloaded under valgrind by bench/run.py --instructions (bench/instructions.py):
// libhwy's static constructor measures the timer resolution with instructions that
// valgrind does not know (it dies with SIGILL); this definition takes its place.
#include <cstdint>
namespace hwy { namespace platform { uint64_t TimerResolution() { return 1; } } }
