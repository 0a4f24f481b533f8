//===- io/ArchiveChecks.h - An archive's checks, beside LibTorch's load -*- C++ -*-===//
//
// torch::jit::load trusts an archive's pickles, code and debug information
// to be what torch.jit.save wrote; s2t checks each of those records first
// (io/ArchiveSource.h, rewritePickleAppends). ArchiveChecks runs the checks
// on a thread of its own while LibTorch loads, and LibTorch's reader waits,
// at each read, for the checks of the records it is about to read: no byte
// of a record reaches LibTorch before its check has passed, and the load
// does not wait for the checks of records it has not reached (~15 ms of
// lexing and unpickling on a small classifier).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace caffe2::serialize {
class ReadAdapterInterface;
class PyTorchStreamReader;
} // namespace caffe2::serialize

namespace s2t {

class ArchiveChecks {
public:
  /// Starts a thread that reads the archive's directory from `file` (a
  /// reader of its own) and checks its records. Where the file is no
  /// archive of torch.jit.save or holds no code, every read is refused and
  /// finish() throws why.
  explicit ArchiveChecks(
      std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file);
  ~ArchiveChecks();
  ArchiveChecks(const ArchiveChecks &) = delete;
  ArchiveChecks &operator=(const ArchiveChecks &) = delete;

  /// Waits until the check of every record whose data starts in the bytes
  /// [pos, pos + n) of the file has ended; false if one of them failed (the
  /// read must then give nothing). Called by the loader's reads, from any
  /// thread.
  bool awaitRead(uint64_t pos, size_t n);

  /// Waits for every check; throws why the directory could not be read,
  /// else the error of the first record, in the archive's order, that
  /// failed.
  void finish();

private:
  enum class State { Pending, Checking, Passed, Failed };
  struct Record {
    std::string name;
    State state = State::Pending;
    std::exception_ptr error;
  };

  /// The thread: open(), then the checks.
  void run(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file);
  /// Reads the directory: the checked records, their offsets, the order.
  void open(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file);
  /// The next record to check, most wanted first; -1 when none is left.
  int64_t next();
  bool ended(const Record &record) const {
    return record.state == State::Passed || record.state == State::Failed;
  }

  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
  std::vector<Record> records_; ///< the checked records, in archive order
  /// Each checked record's data offset and index, by offset; empty when the
  /// offsets could not be read, and then every read waits for every check.
  std::vector<std::pair<uint64_t, size_t>> byOffset_;
  std::vector<size_t> order_; ///< the order of checking: pickles first
  size_t nextInOrder_ = 0;
  std::vector<size_t> wanted_; ///< records a read waits for
  size_t firstFailure_ = SIZE_MAX; ///< the first record that failed, if any
  bool opened_ = false;            ///< the directory has been read
  std::exception_ptr openError_;   ///< why it could not be, if so
  bool finished_ = false;          ///< the thread has checked all it will
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
};

} // namespace s2t
