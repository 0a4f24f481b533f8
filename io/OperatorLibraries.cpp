//===- io/OperatorLibraries.cpp - Loading operator libraries --------------===//
//
// dlopen of a path, or of the first match of a named package's library
// (torchvision, torchaudio) among the Python package folders, with
// RTLD_GLOBAL so that its operators register with LibTorch.
//
//===----------------------------------------------------------------------===//

#include "io/OperatorLibraries.h"

#include "ir/Error.h"

#include <dlfcn.h>
#include <glob.h>

#include <vector>

namespace s2t {

namespace {

/// Where Debian's (and pip's) Python packages keep each library.
std::vector<std::string> candidatePatterns(const std::string &name) {
  std::vector<std::string> roots = {"/usr/lib/python3/dist-packages",
                                    "/usr/local/lib/python3*/dist-packages",
                                    "/usr/lib/python3*/site-packages"};
  std::vector<std::string> patterns;
  for (const std::string &root : roots) {
    if (name == "torchvision")
      patterns.push_back(root + "/torchvision/_C*.so");
    else if (name == "torchaudio")
      patterns.push_back(root + "/torchaudio/lib/libtorchaudio.so");
  }
  return patterns;
}

std::string findLibrary(const std::string &name) {
  for (const std::string &pattern : candidatePatterns(name)) {
    glob_t matches;
    if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0 &&
        matches.gl_pathc > 0) {
      std::string path = matches.gl_pathv[0];
      ::globfree(&matches);
      return path;
    }
    ::globfree(&matches);
  }
  usageError(option("load", name) + ": cannot find " + name +
             "'s operator library (is python3-" + name + " installed?)");
}

} // namespace

void loadOperatorLibrary(const std::string &library) {
  std::string path = library;
  if (library == "torchvision" || library == "torchaudio")
    path = findLibrary(library);
  if (!::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
    const char *why = ::dlerror();
    usageError(option("load", library) + ": cannot load '" + path +
               "': " + (why ? why : "unknown error"));
  }
}

namespace {

/// The library whose operator `message` names, or "".
std::string libraryNamedIn(const std::string &message) {
  for (const char *name : {"torchvision", "torchaudio"})
    if (message.find(std::string(name) + "::") != std::string::npos)
      return name;
  return "";
}

} // namespace

Message loadHintFor(const std::string &message) {
  std::string library = libraryNamedIn(message);
  if (library.empty())
    return {};
  return " (try " + option("load", library) + ")";
}

} // namespace s2t
