//===- bench/load_save.cpp - The floor of the s2t-opt benchmark -----------===//
//
// A LibTorch process that loads a TorchScript archive and saves it again, and
// nothing else: what any tool that rewrites an archive must at least pay. The
// benchmark (bench/run.py) compares s2t-opt's wall time and peak memory with it.
// Linked with the allocator s2t-opt links (bench/CMakeLists.txt).
//
//   bench-load-save IN.pt OUT.pt [--load=torchvision|torchaudio|PATH]... [--time]
//
// --load dlopens an operator library first, as s2t-opt's --load does (torchvision's
// detection archives need torchvision::nms to load). --time prints the seconds of
// the load (from main, as s2t-opt's "load" stage counts) and of the save to stderr.
//
//===----------------------------------------------------------------------===//

#include <torch/script.h>

#include <dlfcn.h>
#include <glob.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

/// The library of an installed Python package, found as s2t-opt finds it.
std::string findLibrary(const std::string &name) {
  std::string suffix;
  if (name == "torchvision")
    suffix = "/torchvision/_C*.so";
  else if (name == "torchaudio")
    suffix = "/torchaudio/lib/libtorchaudio.so";
  else
    return name; // a path
  for (const char *root : {"/usr/lib/python3/dist-packages",
                           "/usr/local/lib/python3*/dist-packages",
                           "/usr/lib/python3*/site-packages"}) {
    glob_t matches;
    std::string pattern = std::string(root) + suffix;
    if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0 &&
        matches.gl_pathc > 0) {
      std::string path = matches.gl_pathv[0];
      ::globfree(&matches);
      return path;
    }
    ::globfree(&matches);
  }
  return name;
}

} // namespace

int main(int argc, char **argv) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point from) {
    return std::chrono::duration<double>(Clock::now() - from).count();
  };
  Clock::time_point start = Clock::now();
  bool time = false;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--time") == 0) {
      time = true;
    } else if (std::strncmp(argv[i], "--load=", 7) == 0) {
      std::string path = findLibrary(argv[i] + 7);
      if (!::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
        const char *why = ::dlerror();
        std::cerr << "bench-load-save: cannot load '" << path
                  << "': " << (why ? why : "unknown error") << "\n";
        return 2;
      }
    } else {
      positional.push_back(argv[i]);
    }
  }
  if (positional.size() != 2) {
    std::cerr << "usage: bench-load-save IN.pt OUT.pt [--load=LIB]... [--time]\n";
    return 2;
  }
  try {
    torch::jit::Module module = torch::jit::load(positional[0]);
    double load = seconds(start);
    Clock::time_point saveStart = Clock::now();
    module.save(positional[1]);
    if (time)
      std::fprintf(stderr, "bench-load-save: load %.6f s, save %.6f s\n", load,
                   seconds(saveStart));
  } catch (const std::exception &e) {
    std::cerr << "bench-load-save: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
