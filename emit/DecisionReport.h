//===- emit/DecisionReport.h - What the specialization decided ---*- C++ -*-===//
//
// The decisions of a specialization (passes/SpecializeControlFlow.h) as the
// user sees them: a JSON report (--report=FILE.json) and one warning line per
// shape or data decision site on stderr. The format is in docs/report.md.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "passes/SpecializeControlFlow.h"

#include <string>
#include <vector>

namespace s2t {

/// The report as JSON text: every decision with its kind, category, source
/// location, outcome and what it depended on, and a summary.
std::string decisionReportJson(const SpecializeResult &result,
                               const std::string &input,
                               const std::string &method);

/// One line per source location that holds a shape or data decision (or a
/// residual one), `file:line:col: warning: ...`, in program order, then one
/// note counting the constant decisions (it names the report option). Empty
/// when there is nothing to say.
std::vector<Message> decisionWarnings(const SpecializeResult &result);

} // namespace s2t
