//===- io/ArchiveChecks.cpp - An archive's checks, beside LibTorch's load ---===//
//
// One thread reads the archive's directory, while LibTorch reads it too,
// then checks the records in turn: the pickles first (LibTorch reads
// constants.pkl and data.pkl first), then the code and debug information in
// the archive's order, except that a record a read waits for goes next. A
// read waits for the directory, then for the records whose data starts
// inside it: a record's bytes are read from its start on, in one read or in
// chunks that follow it.
//
//===----------------------------------------------------------------------===//
#include "io/ArchiveChecks.h"

#include "io/ArchiveSource.h"
#include "io/TorchSave.h"
#include "ir/Error.h"

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace s2t {

namespace {

bool endsWith(const std::string &text, const char *suffix) {
  size_t n = std::char_traits<char>::length(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

bool isPickle(const std::string &name) {
  return endsWith(name, "_pkl") || endsWith(name, ".pkl");
}

/// Checks one record: the string lengths of a pickle (LibTorch's unpickler
/// allocates whatever length a string claims before reading it;
/// rewritePickleAppends throws on one past the end), the class bodies of
/// code and the source ranges of debug information (io/ArchiveSource.h).
void checkRecord(caffe2::serialize::PyTorchStreamReader &reader,
                 const std::string &name) {
  auto [data, size] = reader.getRecord(name);
  std::string contents(static_cast<const char *>(data.get()), size);
  if (isPickle(name)) {
    try {
      rewritePickleAppends(contents);
    } catch (const std::runtime_error &e) {
      throw std::runtime_error(name + ": " + e.what());
    }
  }
  if (isArchiveSource(name))
    checkArchiveSource(name, contents);
  else if (endsWith(name, ".debug_pkl"))
    checkArchiveDebugInfo(name, contents);
}

} // namespace

ArchiveChecks::ArchiveChecks(
    std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file)
    : thread_([this, file = std::move(file)] { run(file); }) {}

void ArchiveChecks::open(
    std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file) {
  try {
    reader_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(file);
  } catch (const c10::Error &e) {
    // The reader's own words for a zip without PyTorch's records are an
    // assertion text ('Expected hasRecord("version") to be true').
    if (std::string(e.what()).find("hasRecord(\"version\")") != std::string::npos)
      throw std::runtime_error(
          "it is a zip file, but not one written by torch.jit.save (no version record)");
    throw;
  }
  bool hasCode = false;
  for (std::string &name : reader_->getAllRecords()) {
    hasCode |= isArchiveSource(name);
    if (isPickle(name) || isArchiveSource(name))
      records_.push_back({std::move(name), State::Pending, nullptr});
  }
  if (!hasCode)
    throw std::runtime_error(
        reader_->hasRecord("data.pkl")
            ? "it holds no TorchScript code (a file written by torch.save, "
              "not by torch.jit.save?)"
            : "it holds no TorchScript code");
  try {
    for (size_t i = 0; i < records_.size(); ++i)
      byOffset_.emplace_back(reader_->getRecordOffset(records_[i].name), i);
    std::sort(byOffset_.begin(), byOffset_.end());
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    byOffset_.clear(); // every read waits for every check
  }
  order_.resize(records_.size());
  std::iota(order_.begin(), order_.end(), size_t(0));
  std::stable_partition(order_.begin(), order_.end(), [&](size_t i) {
    const std::string &name = records_[i].name;
    return isPickle(name) && !endsWith(name, ".debug_pkl");
  });
}

ArchiveChecks::~ArchiveChecks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  if (thread_.joinable())
    thread_.join();
}

int64_t ArchiveChecks::next() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stop_)
    return -1;
  auto take = [&](size_t i) {
    // After a failure only an earlier record can change the error reported.
    if (records_[i].state != State::Pending || i > firstFailure_)
      return false;
    records_[i].state = State::Checking;
    return true;
  };
  while (!wanted_.empty()) {
    size_t i = wanted_.back();
    wanted_.pop_back();
    if (take(i))
      return static_cast<int64_t>(i);
  }
  while (nextInOrder_ < order_.size()) {
    size_t i = order_[nextInOrder_++];
    if (take(i))
      return static_cast<int64_t>(i);
  }
  return -1;
}

void ArchiveChecks::run(
    std::shared_ptr<caffe2::serialize::ReadAdapterInterface> file) {
  std::exception_ptr error;
  try {
    open(std::move(file));
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    opened_ = !error;
    openError_ = error;
    finished_ = error != nullptr;
  }
  changed_.notify_all();
  if (error)
    return;
  for (int64_t i; (i = next()) >= 0;) {
    Record &record = records_[static_cast<size_t>(i)];
    std::exception_ptr error;
    try {
      checkRecord(*reader_, record.name);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      record.state = error ? State::Failed : State::Passed;
      record.error = error;
      if (error)
        firstFailure_ = std::min(firstFailure_, static_cast<size_t>(i));
    }
    changed_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  changed_.notify_all();
}

bool ArchiveChecks::awaitRead(uint64_t pos, size_t n) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return opened_ || finished_; });
    if (!opened_)
      return false; // no directory: finish() throws why
  }
  // From here on the directory (records_' names, byOffset_) stays as read.
  uint64_t end = pos + n < pos ? UINT64_MAX : pos + n;
  std::vector<size_t> needed;
  if (byOffset_.empty()) {
    for (size_t i = 0; i < records_.size(); ++i)
      needed.push_back(i);
  } else {
    auto it = std::lower_bound(byOffset_.begin(), byOffset_.end(),
                               std::make_pair(pos, size_t(0)));
    for (; it != byOffset_.end() && it->first < end; ++it)
      needed.push_back(it->second);
    if (needed.empty())
      return true; // tensor data, the directory: no checked record starts here
  }
  std::unique_lock<std::mutex> lock(mutex_);
  for (size_t i : needed)
    if (records_[i].state == State::Pending)
      wanted_.push_back(i);
  changed_.wait(lock, [&] {
    if (firstFailure_ != SIZE_MAX || finished_)
      return true;
    return std::all_of(needed.begin(), needed.end(),
                       [&](size_t i) { return ended(records_[i]); });
  });
  return firstFailure_ == SIZE_MAX &&
         std::all_of(needed.begin(), needed.end(), [&](size_t i) {
           return records_[i].state == State::Passed;
         });
}

void ArchiveChecks::finish() {
  if (thread_.joinable())
    thread_.join();
  if (openError_)
    std::rethrow_exception(openError_);
  if (firstFailure_ != SIZE_MAX)
    std::rethrow_exception(records_[firstFailure_].error);
}

} // namespace s2t
