//===- emit/DecisionReport.cpp - What the specialization decided ------------===//
//
// The decisions of a SpecializeResult rendered for users: JSON for --report
// (format in docs/report.md) and one warning line per decision site.
//
//===----------------------------------------------------------------------===//

#include "emit/DecisionReport.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace s2t {

std::string decisionReportJson(const SpecializeResult &result,
                               const std::string &input,
                               const std::string &method) {
  nlohmann::json decisions = nlohmann::json::array();
  int64_t counts[3] = {0, 0, 0};
  int64_t residual = 0, checked = 0;
  for (const Decision &decision : result.decisions) {
    ++counts[static_cast<int>(decision.category)];
    residual += decision.residual;
    checked += decision.checked;
    nlohmann::json entry = {
        {"kind", decision.kindName()},
        {"category", toString(decision.category)},
        {"location", decision.location()},
        {"outcome", decision.outcomeText()},
        {"depends_on", decision.dependsOn},
        {"checked", decision.checked},
        {"residual", decision.residual},
    };
    if (decision.kind == Decision::If && !decision.residual)
      entry["branch"] = decision.outcome == 0 ? "then" : "else";
    if (decision.kind == Decision::Loop)
      entry["iterations"] = decision.outcome;
    if (decision.kind == Decision::Value)
      entry["value"] = decision.value;
    if (decision.residual)
      entry["reason"] = decision.reason;
    decisions.push_back(std::move(entry));
  }
  nlohmann::json report = {
      {"input", input},
      {"method", method},
      {"decisions", std::move(decisions)},
      {"summary",
       {{"constant", counts[0]},
        {"shape", counts[1]},
        {"data", counts[2]},
        {"residual", residual},
        {"checked", checked},
        {"checks", static_cast<int64_t>(result.checks.size())},
        {"iterations_unrolled", result.iterationsUnrolled}}},
  };
  return report.dump(2) + "\n";
}

std::vector<Message> decisionWarnings(const SpecializeResult &result) {
  // One line per decision site: a site inside a loop is decided once per
  // iteration, and its outcomes are counted.
  struct Site {
    size_t first;
    const Decision *decision;
    DecisionCategory category = DecisionCategory::Constant;
    std::map<std::string, int64_t> outcomes = {};
    std::vector<std::string> dependsOn = {};
    bool residual = false, checked = false;
  };
  std::vector<Site> sites;
  std::unordered_map<const torch::jit::Node *, size_t> index;
  int64_t constants = 0;
  for (const Decision &decision : result.decisions) {
    if (decision.category == DecisionCategory::Constant && !decision.residual) {
      ++constants;
      continue;
    }
    auto [it, added] = index.emplace(decision.node, sites.size());
    if (added)
      sites.push_back({sites.size(), &decision});
    Site &site = sites[it->second];
    site.category = std::max(site.category, decision.category);
    ++site.outcomes[decision.outcomeText()];
    for (const std::string &source : decision.dependsOn)
      if (std::find(site.dependsOn.begin(), site.dependsOn.end(), source) ==
          site.dependsOn.end())
        site.dependsOn.push_back(source);
    site.residual |= decision.residual;
    site.checked |= decision.checked;
  }
  std::vector<Message> lines;
  for (const Site &site : sites) {
    const Decision &decision = *site.decision;
    std::string line = decision.location() + ": warning: ";
    if (site.residual) {
      line += std::string(decision.kindName()) + " kept residual: " +
              decision.reason;
    } else {
      line += std::string(toString(site.category)) + " decision: " +
              decision.kindName() + " ";
      std::string outcomes;
      for (const auto &[outcome, count] : site.outcomes)
        outcomes += (outcomes.empty() ? "" : ", ") + outcome +
                    (site.outcomes.size() > 1 || count > 1
                         ? " x" + std::to_string(count)
                         : "");
      line += decision.kind == Decision::If     ? "took " + outcomes
              : decision.kind == Decision::Loop ? "ran " + outcomes
                                                : "baked in " + outcomes;
    }
    if (!site.dependsOn.empty()) {
      line += " (on ";
      for (size_t i = 0; i < site.dependsOn.size(); ++i)
        line += (i ? ", " : "") + site.dependsOn[i];
      line += ")";
    }
    if (site.checked)
      line += " [checked]";
    lines.push_back(std::move(line));
  }
  if (constants > 0)
    lines.push_back("note: " + std::to_string(constants) +
                    " constant decision" + (constants == 1 ? "" : "s") +
                    " (" + option("report") + " lists every decision)");
  return lines;
}

} // namespace s2t
