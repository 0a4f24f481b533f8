//===- emit/OutputWriter.cpp - The one way output files are written ------===//
//
// writeAtomically and what it needs: a table of temporary files that a
// signal handler removes (as LLVM's RemoveFileOnSignal), the test for targets
// that are written in place, and the archive writers on top of it.
//
//===----------------------------------------------------------------------===//

#include "emit/OutputWriter.h"

#include "ir/Error.h"

#include <torch/csrc/jit/api/module.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <ostream>
#include <streambuf>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace s2t {

using namespace torch::jit;

namespace {

/// Temporary outputs to remove if a signal stops the process, as LLVM's
/// RemoveFileOnSignal does: the handler only reads this table and unlinks.
std::atomic<char *> gTemporaries[8];
const int kRemoveOnSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction gPreviousActions[std::size(kRemoveOnSignals)];
std::mutex gTemporariesMutex;
int gTemporaryCount = 0; // handlers are installed while it is positive

void restorePreviousActions() {
  for (size_t i = 0; i < std::size(kRemoveOnSignals); ++i)
    ::sigaction(kRemoveOnSignals[i], &gPreviousActions[i], nullptr);
}

extern "C" void removeTemporariesOnSignal(int signal) {
  for (std::atomic<char *> &slot : gTemporaries)
    if (char *temporary = slot.exchange(nullptr))
      ::unlink(temporary);
  // With the previous actions back (the default: only such signals are
  // taken), the signal ends the process once this handler returns.
  restorePreviousActions();
  ::raise(signal);
}

/// `path` is removed if SIGINT, SIGTERM or SIGHUP arrives while this lives.
class RemoveOnSignal {
public:
  explicit RemoveOnSignal(const std::string &path) {
    std::lock_guard<std::mutex> lock(gTemporariesMutex);
    if (gTemporaryCount++ == 0) {
      struct sigaction action {};
      action.sa_handler = removeTemporariesOnSignal;
      sigemptyset(&action.sa_mask);
      for (size_t i = 0; i < std::size(kRemoveOnSignals); ++i) {
        ::sigaction(kRemoveOnSignals[i], &action, &gPreviousActions[i]);
        // Only a signal whose action is the default (end the process) is
        // taken. An ignored one (nohup, a parent that ignores SIGINT) stays
        // so, and one with a handler of its own (Python's SIGINT; UCX's
        // SIGHUP, which LibTorch 2.6 loads) stays that handler's: the process
        // may go on after it, and would then find its temporary file gone.
        const struct sigaction &previous = gPreviousActions[i];
        if ((previous.sa_flags & SA_SIGINFO) || previous.sa_handler != SIG_DFL)
          ::sigaction(kRemoveOnSignals[i], &previous, nullptr);
      }
    }
    for (std::atomic<char *> &slot : gTemporaries) {
      char *expected = nullptr;
      char *copy = ::strdup(path.c_str());
      if (slot.compare_exchange_strong(expected, copy)) {
        slot_ = &slot;
        return;
      }
      std::free(copy);
    }
  }
  ~RemoveOnSignal() {
    if (slot_)
      std::free(slot_->exchange(nullptr));
    std::lock_guard<std::mutex> lock(gTemporariesMutex);
    if (--gTemporaryCount == 0)
      restorePreviousActions();
  }

private:
  std::atomic<char *> *slot_ = nullptr;
};

/// "cannot write 'PATH': WHY", with errno's words if `why` is empty.
[[noreturn]] void cannotWrite(const std::string &path, std::string why = "") {
  if (why.empty())
    why = errno ? std::strerror(errno) : "write error";
  conversionError("cannot write '" + path + "': " + why);
}

/// Runs `write` on `stream`, turning its failures into "cannot write" errors.
void writeTo(std::ostream &stream, const std::string &path,
             const std::function<void(std::ostream &)> &write) {
  try {
    write(stream);
  } catch (const Error &) {
    throw;
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    cannotWrite(path, firstMessageLine(e.what()));
  }
}

/// Writes all of `bytes` to `fd`; false with errno set if it cannot.
bool writeAll(int fd, const char *bytes, size_t size) {
  while (size > 0) {
    ssize_t wrote = ::write(fd, bytes, size);
    if (wrote < 0 && errno == EINTR)
      continue;
    if (wrote <= 0) {
      if (wrote == 0)
        errno = EIO;
      return false;
    }
    bytes += wrote;
    size -= static_cast<size_t>(wrote);
  }
  return true;
}

/// A stream buffer over a file that never fails: the first write error (a
/// full disk, a file size limit) is remembered, the bytes after it dropped,
/// and the owner reports it once writing is over. LibTorch's archive writer
/// throws when its stream fails, and throws again from its destructor while
/// that unwinds: std::terminate, with the temporary file left behind.
class FileBuffer : public std::streambuf {
public:
  explicit FileBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + kSize); }
  FileBuffer(const FileBuffer &) = delete;
  FileBuffer &operator=(const FileBuffer &) = delete;

  /// Writes what is buffered; the errno of the first failed write, or 0.
  int flush() {
    write(pbase(), static_cast<size_t>(pptr() - pbase()));
    setp(buffer_, buffer_ + kSize);
    return error_;
  }

protected:
  int_type overflow(int_type c) override {
    flush();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char *bytes, std::streamsize size) override {
    if (size < static_cast<std::streamsize>(kSize))
      return std::streambuf::xsputn(bytes, size);
    flush(); // a tensor's storage: written as it is, not copied
    write(bytes, static_cast<size_t>(size));
    return size;
  }
  int sync() override {
    flush();
    return 0;
  }

private:
  static constexpr size_t kSize = 1 << 16;
  void write(const char *bytes, size_t size) {
    if (error_ == 0 && !writeAll(fd_, bytes, size))
      error_ = errno;
  }
  int fd_;
  int error_ = 0;
  char buffer_[kSize];
};

/// `path` with its links followed, or `path` itself if it does not exist.
std::string resolveLinks(const std::string &path) {
  char *resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved)
    return path;
  std::string real = resolved;
  std::free(resolved);
  return real;
}

/// Whether `path` names something that must be written in place: it exists
/// and is not a regular file, or it is in /dev or /proc (/dev/stdout is a link
/// to whatever the standard output is, a regular file too).
bool isWrittenInPlace(const std::string &path) {
  struct stat status;
  if (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode))
    return true;
  size_t slash = path.rfind('/');
  std::string real = resolveLinks(
      slash == std::string::npos ? "." : path.substr(0, slash + 1));
  auto under = [&](const std::string &top) {
    return real == top || real.compare(0, top.size() + 1, top + "/") == 0;
  };
  return under("/dev") || under("/proc");
}

} // namespace

/// Where a PendingFile's bytes go until keep(): a temporary file beside the
/// target, or memory for a target written in place.
struct PendingFile::Impl {
  std::string path;      ///< as given, for messages
  std::string target;    ///< with its links followed; renamed over by keep()
  std::string temporary; ///< empty: written in place
  std::optional<RemoveOnSignal> removeOnSignal;
  int fd = -1; ///< the temporary file's
  std::optional<FileBuffer> buffer;
  std::optional<std::ostream> file;
  std::ostringstream memory;
  bool kept = false;

  /// Writes the bytes made in memory into the target, which is not replaced.
  void writeInPlace() {
    std::string bytes = memory.str();
    int out = ::open(target.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (out < 0)
      cannotWrite(path);
    if (!writeAll(out, bytes.data(), bytes.size())) {
      int error = errno;
      ::close(out);
      errno = error;
      cannotWrite(path);
    }
    if (::close(out) != 0)
      cannotWrite(path);
  }

  /// Completes the temporary file and renames it over the target.
  void renameIntoPlace() {
    int error = buffer->flush();
    int closed = ::close(fd);
    fd = -1;
    if (error != 0 || closed != 0) {
      errno = error != 0 ? error : errno;
      cannotWrite(path);
    }
    if (std::rename(temporary.c_str(), target.c_str()) != 0)
      cannotWrite(path);
  }
};

PendingFile::PendingFile(const std::string &path) : impl_(new Impl) {
  Impl &impl = *impl_;
  impl.path = path;
  if (isWrittenInPlace(path)) {
    struct stat status;
    if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode))
      cannotWrite(path, "it is a directory");
    impl.target = path;
    return;
  }
  // Through links: the file a link leads to is replaced, not the link.
  impl.target = resolveLinks(path);
  impl.temporary =
      impl.target + ".s2t-tmp-" + std::to_string(static_cast<long>(::getpid()));
  impl.removeOnSignal.emplace(impl.temporary);
  impl.fd = ::open(impl.temporary.c_str(),
                   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (impl.fd < 0)
    cannotWrite(path, std::string("cannot create a file there (") +
                          std::strerror(errno) + ")");
  impl.buffer.emplace(impl.fd);
  impl.file.emplace(&*impl.buffer);
}

PendingFile::~PendingFile() {
  if (impl_->fd >= 0)
    ::close(impl_->fd);
  if (!impl_->kept && !impl_->temporary.empty())
    std::remove(impl_->temporary.c_str());
}

std::ostream &PendingFile::stream() {
  if (impl_->temporary.empty())
    return impl_->memory;
  return *impl_->file;
}

void PendingFile::keep() {
  Impl &impl = *impl_;
  if (impl.kept)
    return;
  if (impl.temporary.empty())
    impl.writeInPlace();
  else
    impl.renameIntoPlace();
  impl.kept = true;
}

void writeAtomically(const std::string &path,
                     const std::function<void(std::ostream &)> &write) {
  PendingFile file(path);
  writeTo(file.stream(), path, write);
  file.keep();
}

void writeTextFile(const std::string &path, const std::string &text) {
  writeAtomically(path, [&](std::ostream &stream) {
    if (!(stream << text))
      cannotWrite(path);
  });
}

void saveModule(const Module &module, const std::string &path) {
  writeAtomically(path, [&](std::ostream &stream) { module.save(stream); });
}

void saveFlatArchive(const Program &program, const std::shared_ptr<Graph> &flat,
                     const std::string &path, bool freeze,
                     const std::string &fallbackMethod) {
  saveModule(makeFlatModule(program, flat, freeze, fallbackMethod), path);
}

} // namespace s2t
