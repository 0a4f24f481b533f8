//===- ir/SourceLocation.cpp - Where a node came from ---------------------===//

#include "ir/SourceLocation.h"

#include <torch/csrc/jit/ir/ir.h>

#include <sstream>

namespace s2t {

std::string sourceLocation(const torch::jit::Node *node) {
  if (!node)
    return "<unknown>";
  const torch::jit::SourceRange &range = node->sourceRange();
  if (range.source()) {
    auto original = range.findSourceRangeThatGenerated();
    const auto &best = original ? *original : range;
    if (auto fileLineCol = best.file_line_col()) {
      const auto &[file, line, col] = *fileLineCol;
      // Columns as the graph's own "# file:line:col" comments print them.
      return file + ":" + std::to_string(line) + ":" + std::to_string(col);
    }
  }
  std::ostringstream text;
  text << "node '" << node->kind().toQualString() << "'";
  if (node->outputs().size() > 0)
    text << " defining %" << node->output(0)->debugName();
  return text.str();
}

} // namespace s2t
