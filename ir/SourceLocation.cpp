//===- ir/SourceLocation.cpp - Where a node came from ---------------------===//

#include "ir/SourceLocation.h"

#include <torch/csrc/jit/ir/ir.h>

#include <sstream>

namespace s2t {

namespace {

std::string fileLineCol(const torch::jit::SourceRange &range) {
  if (!range.source())
    return "";
  auto fileLineCol = range.file_line_col();
  if (!fileLineCol)
    return "";
  const auto &[file, line, col] = *fileLineCol;
  // A range of code the compiler made up (the exit transform's `if`) maps to
  // an empty source with no name: that is no location.
  if (file.empty())
    return "";
  // Columns as the graph's own "# file:line:col" comments print them.
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

} // namespace

std::string sourceLocation(const torch::jit::SourceRange &range) {
  std::string location = fileLineCol(range);
  return location.empty() ? "<unknown>" : location;
}

std::string sourceLocation(const torch::jit::Node *node) {
  if (!node)
    return "<unknown>";
  const torch::jit::SourceRange &range = node->sourceRange();
  if (range.source()) {
    // The user's own source when the archive maps back to it, else the
    // archive's serialized code (code/__torch__/...).
    if (auto original = range.findSourceRangeThatGenerated()) {
      std::string location = fileLineCol(*original);
      if (!location.empty())
        return location;
    }
    std::string location = fileLineCol(range);
    if (!location.empty())
      return location;
  }
  std::ostringstream text;
  text << "node '" << node->kind().toQualString() << "'";
  if (node->outputs().size() > 0)
    text << " defining %" << node->output(0)->debugName();
  return text.str();
}

} // namespace s2t
