//===- emit/DotEmitter.cpp - Decisions as a Graphviz picture ----------------===//
//
// Graphviz puts a node into the first subgraph that names it, so every node is
// declared inside its cluster first and all edges follow at the top level.
// Decisions are summed per node: a node met several times (a loop inside a
// loop, a callee called twice) shows each outcome with its count and the
// strongest category (data over shape over constant).
//
//===----------------------------------------------------------------------===//

#include "emit/DotEmitter.h"

#include "ir/SourceLocation.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>

#include <algorithm>
#include <deque>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>
#include <vector>

namespace s2t {

using namespace torch::jit;

namespace {

// Indexed by DecisionCategory: constant, shape, data.
const char *const kFill[] = {"#cfe2f3", "#ffe599", "#f4a6a6"};
const char *const kBorder[] = {"#3d85c6", "#bf9000", "#cc0000"};
const char *const kDimColor = "#aaaaaa";

std::string quote(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string withoutTorchPrefix(std::string name) {
  const std::string prefix = "__torch__.";
  if (name.compare(0, prefix.size(), prefix) == 0)
    name.erase(0, prefix.size());
  return name;
}

/// "file.py:12:8" of a location "/long/path/file.py:12:8".
std::string shortLocation(const std::string &location) {
  size_t slash = location.rfind('/');
  return slash == std::string::npos ? location : location.substr(slash + 1);
}

std::string valueList(at::ArrayRef<const Value *> values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == 3) {
      text += ", ...";
      break;
    }
    text += (i ? ", %" : "%") + values[i]->debugName();
  }
  return text;
}

std::string nodeLabel(const Node *node) {
  std::string label;
  if (!node->outputs().empty())
    label = valueList(node->outputs()) + " = ";
  label += node->kind().toQualString();
  if (node->hasAttribute(attr::name) &&
      node->kindOf(attr::name) == AttributeKind::s)
    label += "[" + node->s(attr::name) + "]";
  return label;
}

/// The graph a call node runs, when its callee is known from types alone.
const Graph *calleeGraph(const Node *node) {
  try {
    if (node->kind() == prim::CallMethod) {
      auto type = node->input(0)->type()->cast<c10::ClassType>();
      Function *method = type ? type->findMethod(node->s(attr::name)) : nullptr;
      return method ? toGraphFunction(*method).graph().get() : nullptr;
    }
    if (node->kind() == prim::CallFunction) {
      auto type = node->input(0)->type()->cast<c10::FunctionType>();
      return type ? toGraphFunction(*type->function()).graph().get() : nullptr;
    }
  } catch (const c10::Error &) {
    // Not a graph function (a builtin): nothing to draw.
  }
  return nullptr;
}

std::string calleeName(const Node *node) {
  if (node->kind() == prim::CallMethod) {
    auto type = node->input(0)->type()->cast<c10::ClassType>();
    std::string owner = type && type->name()
                            ? withoutTorchPrefix(type->name()->qualifiedName())
                            : "?";
    return owner + "." + node->s(attr::name);
  }
  auto type = node->input(0)->type()->cast<c10::FunctionType>();
  return type ? withoutTorchPrefix(type->function()->qualname().qualifiedName())
              : "?";
}

/// The decisions made at one node of the scripted graph.
struct Summary {
  Decision::Kind kind = Decision::If;
  DecisionCategory category = DecisionCategory::Constant;
  std::string location;
  /// (outcome, times), in the order first met.
  std::vector<std::pair<int64_t, int64_t>> outcomes;

  int64_t timesTaken(int64_t block) const {
    int64_t times = 0;
    for (const auto &[outcome, count] : outcomes)
      if (outcome == block)
        times += count;
    return times;
  }
  int64_t iterations() const {
    int64_t total = 0;
    for (const auto &[outcome, count] : outcomes)
      total += outcome * count;
    return total;
  }
  std::string text() const {
    std::string text = kind == Decision::If ? "taken: " : "iterations: ";
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const auto &[outcome, count] = outcomes[i];
      if (i)
        text += ", ";
      if (outcome < 0) // kept in the graph (--allow-residual)
        text += "residual";
      else if (kind == Decision::If)
        text += outcome == 0 ? "then" : "else";
      else
        text += std::to_string(outcome);
      if (count > 1)
        text += " \u00d7" + std::to_string(count);
    }
    return text + " (" + toString(category) + ")";
  }
};

class DotWriter {
public:
  DotWriter(std::ostream &out, const std::vector<Decision> &decisions)
      : out_(out) {
    for (const Decision &decision : decisions) {
      if (decision.kind == Decision::Value)
        continue; // a list index or dict key: no node of its own to mark
      Summary &summary = summaries_[decision.node];
      if (summary.outcomes.empty()) {
        summary.kind = decision.kind;
        // A node without a source file (a textual graph) gets its own text
        // as location; its label says that already.
        std::string location = decision.location();
        if (location.compare(0, 6, "node '") != 0)
          summary.location = shortLocation(location);
      }
      summary.category = std::max(summary.category, decision.category);
      auto same = std::find_if(
          summary.outcomes.begin(), summary.outcomes.end(),
          [&](const auto &entry) { return entry.first == decision.outcome; });
      if (same == summary.outcomes.end())
        summary.outcomes.emplace_back(decision.outcome, 1);
      else
        ++same->second;
      decisionGraphs_.insert(decision.node->owningGraph());
    }
  }

  void write(const Graph &scripted, const std::string &method,
             const Graph &flat, const std::string &scriptedTitle) {
    out_ << "digraph s2t {\n"
         << "  graph [compound=true, fontname=\"Helvetica\", fontsize=12, "
            "labeljust=l];\n"
         << "  node [shape=box, style=\"rounded,filled\", fillcolor=white, "
            "fontname=\"Helvetica\", fontsize=10];\n"
         << "  edge [color=\"#777777\", arrowsize=0.6];\n";

    out_ << "  subgraph cluster_scripted {\n"
         << "    label=" << quote(scriptedTitle) << ";\n";
    std::deque<std::pair<const Graph *, std::string>> callees;
    drawGraph(scripted, method, /*isFlat=*/false, callees);
    // Callees that hold a decision, each drawn once, beside the method.
    auto drawCallees = [&] {
      while (!callees.empty()) {
        auto [graph, name] = callees.front();
        callees.pop_front();
        drawGraph(*graph, name, /*isFlat=*/false, callees);
      }
    };
    drawCallees();
    // Graphs with decisions that no call names by type (interface calls).
    for (const Graph *graph : decisionGraphs_) {
      if (drawn_.count(graph))
        continue;
      drawGraph(*graph, "callee", /*isFlat=*/false, callees);
      drawCallees();
    }
    out_ << "  }\n";

    int64_t nodes = 0, constants = 0;
    countNodes(flat.block(), nodes, constants);
    out_ << "  subgraph cluster_flat {\n"
         << "    label="
         << quote("flat: " + std::to_string(nodes) + " nodes (" +
                  std::to_string(constants) + " of them constants, not drawn)")
         << ";\n";
    drawGraph(flat, method, /*isFlat=*/true, callees);
    out_ << "  }\n";

    out_ << "  subgraph cluster_legend {\n"
         << "    label=\"decision categories\";\n";
    for (int category = 0; category < 3; ++category)
      out_ << "    legend_" << category << " [label="
           << quote(toString(static_cast<DecisionCategory>(category)))
           << ", fillcolor=\"" << kFill[category] << "\", color=\""
           << kBorder[category] << "\"];\n";
    out_ << "  }\n";

    for (const std::string &edge : edges_)
      out_ << "  " << edge << ";\n";
    out_ << "}\n";
  }

private:
  using CalleeQueue = std::deque<std::pair<const Graph *, std::string>>;

  static void countNodes(const Block *block, int64_t &nodes,
                         int64_t &constants) {
    for (const Node *node : block->nodes()) {
      ++nodes;
      constants += node->kind() == prim::Constant;
      for (const Block *inner : node->blocks())
        countNodes(inner, nodes, constants);
    }
  }

  std::string newId() { return "n" + std::to_string(nextId_++); }
  std::string newCluster() { return "cluster_" + std::to_string(nextId_++); }

  void edge(const std::string &from, const std::string &to,
            const std::string &attributes = "") {
    std::string text = from + " -> " + to;
    if (!attributes.empty())
      text += " [" + attributes + "]";
    if (edgeSet_.insert(text).second)
      edges_.push_back(text);
  }

  void indent(int depth) { out_ << std::string(2 * depth, ' '); }

  /// Whether `graph`, or a graph it calls, holds a decision.
  bool holdsDecision(const Graph *graph) {
    auto known = holds_.find(graph);
    if (known != holds_.end())
      return known->second;
    holds_[graph] = false; // a call cycle, were there one, ends here
    bool holds = decisionGraphs_.count(graph) || blockCalls(graph->block());
    holds_[graph] = holds;
    return holds;
  }
  bool blockCalls(const Block *block) {
    for (const Node *node : block->nodes()) {
      const Graph *callee = calleeGraph(node);
      if (callee && holdsDecision(callee))
        return true;
      for (const Block *inner : node->blocks())
        if (blockCalls(inner))
          return true;
    }
    return false;
  }

  void drawGraph(const Graph &graph, const std::string &name, bool isFlat,
                 CalleeQueue &callees) {
    drawn_.insert(&graph);
    scheduled_.insert(&graph);
    const int depth = 2;
    const std::string &cluster = clusterOf(&graph);
    indent(depth);
    out_ << "subgraph " << cluster << " {\n";
    indent(depth + 1);
    out_ << "label=" << quote(name) << ";\n";
    std::string inputs = entryOf(&graph);
    std::string inputText;
    for (const Value *input : graph.inputs()) {
      inputText += (inputText.empty() ? "%" : "\n%") + input->debugName() +
                   " : " + withoutTorchPrefix(input->type()->annotation_str());
      producer_[input] = inputs;
    }
    indent(depth + 1);
    out_ << inputs << " [label=" << quote(inputText.empty() ? "()" : inputText)
         << ", shape=box, style=filled, fillcolor=\"#eeeeee\"];\n";
    std::vector<std::string> tails{inputs};
    drawNodes(graph.block(), depth + 1, /*dim=*/false, isFlat, callees, tails);
    std::string ret = newId();
    sequence(tails, ret);
    indent(depth + 1);
    out_ << ret << " [label="
         << quote("return (" + valueList(graph.outputs()) + ")")
         << ", shape=plain];\n";
    for (const Value *output : graph.outputs())
      useEdge(output, ret);
    indent(depth);
    out_ << "}\n";
  }

  const std::string &clusterOf(const Graph *graph) {
    auto it = clusters_.find(graph);
    if (it == clusters_.end())
      it = clusters_.emplace(graph, newCluster()).first;
    return it->second;
  }
  const std::string &entryOf(const Graph *graph) {
    auto it = entries_.find(graph);
    if (it == entries_.end())
      it = entries_.emplace(graph, newId()).first;
    return it->second;
  }

  void useEdge(const Value *value, const std::string &to) {
    auto from = producer_.find(value);
    if (from != producer_.end())
      edge(from->second, to);
  }

  /// Invisible edges from `tails` to `next` keep the program's order from
  /// top to bottom, which data edges alone do not.
  void sequence(const std::vector<std::string> &tails,
                const std::string &next) {
    for (const std::string &tail : tails)
      edge(tail, next, "style=invis");
  }

  /// Draws the nodes of `block` after `tails`, which become the ends of the
  /// last node drawn; returns the id of the first one drawn.
  std::string drawNodes(const Block *block, int depth, bool dim, bool isFlat,
                        CalleeQueue &callees, std::vector<std::string> &tails) {
    std::string first;
    for (const Node *node : block->nodes()) {
      if (node->kind() == prim::Constant)
        continue; // constants would crowd the picture
      std::vector<std::string> ends;
      std::string id = drawNode(node, depth, dim, isFlat, callees, ends);
      sequence(tails, id);
      tails = std::move(ends);
      if (first.empty())
        first = id;
    }
    return first;
  }

  /// Draws `node` and its blocks; `ends` gets what comes last of it: the
  /// node, or the end of each of its blocks.
  std::string drawNode(const Node *node, int depth, bool dim, bool isFlat,
                       CalleeQueue &callees, std::vector<std::string> &ends) {
    std::string id = newId();
    auto summary = summaries_.find(node);
    const Summary *decided =
        summary == summaries_.end() ? nullptr : &summary->second;
    std::string label = nodeLabel(node);
    std::string style;
    if (decided) {
      int category = static_cast<int>(decided->category);
      label += "\n" + decided->text();
      if (!decided->location.empty())
        label += "\n" + decided->location;
      style = std::string(", fillcolor=\"") + kFill[category] +
              "\", color=\"" + kBorder[category] + "\", penwidth=2";
    } else if (dim) {
      style = std::string(", color=\"") + kDimColor + "\", fontcolor=\"" +
              kDimColor + "\"";
    }
    indent(depth);
    out_ << id << " [label=" << quote(label) << style << "];\n";
    for (const Value *input : node->inputs())
      useEdge(input, id);
    for (const Value *output : node->outputs())
      producer_[output] = id;

    if (!isFlat) {
      const Graph *callee = calleeGraph(node);
      if (callee && holdsDecision(callee)) {
        if (!scheduled_.count(callee)) {
          scheduled_.insert(callee);
          callees.emplace_back(callee, calleeName(node));
        }
        edge(id, entryOf(callee),
             "lhead=" + clusterOf(callee) + ", style=dashed, label=\"calls\"");
      }
    }

    for (size_t i = 0; i < node->blocks().size(); ++i)
      ends.push_back(
          drawBlock(node, i, decided, depth, dim, isFlat, callees, id));
    if (ends.empty())
      ends.push_back(id);
    return id;
  }

  /// Draws one block of `node` as a cluster; returns the id of its end.
  std::string drawBlock(const Node *node, size_t index, const Summary *decided,
                 int depth, bool dim, bool isFlat, CalleeQueue &callees,
                 const std::string &owner) {
    const Block *block = node->blocks()[index];
    std::string name = "block" + std::to_string(index);
    bool blockDim = dim;
    std::string status;
    if (node->kind() == prim::If && index < 2) {
      name = index == 0 ? "then" : "else";
      if (decided) {
        int64_t times = decided->timesTaken(static_cast<int64_t>(index));
        status = times == 0 ? ": not taken"
                 : times == 1
                     ? ": taken"
                     : ": taken \u00d7" + std::to_string(times);
        blockDim = dim || times == 0;
      }
    } else if (node->kind() == prim::Loop) {
      name = "body";
      if (decided) {
        int64_t iterations = decided->iterations();
        status = iterations == 0 ? ": not run"
                                 : ": " + std::to_string(iterations) +
                                       (iterations == 1 ? " iteration"
                                                        : " iterations");
        blockDim = dim || iterations == 0;
      }
    }
    std::string cluster = newCluster();
    indent(depth);
    out_ << "subgraph " << cluster << " {\n";
    indent(depth + 1);
    out_ << "label=" << quote(name + status) << ";\n";
    indent(depth + 1);
    if (blockDim)
      out_ << "style=dashed; color=\"" << kDimColor << "\"; fontcolor=\""
           << kDimColor << "\";\n";
    else if (decided)
      out_ << "style=bold; color=\""
           << kBorder[static_cast<int>(decided->category)] << "\";\n";
    else
      out_ << "color=\"#999999\";\n";
    for (const Value *input : block->inputs())
      producer_[input] = owner;
    std::vector<std::string> tails;
    std::string first =
        drawNodes(block, depth + 1, blockDim, isFlat, callees, tails);
    std::string yield = newId();
    sequence(tails, yield);
    indent(depth + 1);
    out_ << yield << " [label="
         << quote("-> (" + valueList(block->outputs()) + ")")
         << ", shape=plain"
         << (blockDim ? std::string(", fontcolor=\"") + kDimColor + "\"" : "")
         << "];\n";
    for (const Value *output : block->outputs())
      useEdge(output, yield);
    indent(depth);
    out_ << "}\n";
    edge(owner, first.empty() ? yield : first,
         "lhead=" + cluster + ", style=dotted, arrowhead=none");
    return yield;
  }

  std::ostream &out_;
  std::unordered_map<const Node *, Summary> summaries_;
  std::set<const Graph *> decisionGraphs_;
  std::unordered_map<const Graph *, bool> holds_;
  std::unordered_map<const Graph *, std::string> clusters_, entries_;
  std::set<const Graph *> scheduled_, drawn_;
  std::unordered_map<const Value *, std::string> producer_;
  std::vector<std::string> edges_;
  std::set<std::string> edgeSet_;
  int nextId_ = 0;
};

} // namespace

void emitDot(std::ostream &out, const Graph &scripted,
             const std::string &method, const SpecializeResult &result) {
  int64_t counts[3] = {0, 0, 0};
  for (const Decision &decision : result.decisions)
    ++counts[static_cast<int>(decision.category)];
  std::ostringstream title;
  title << "scripted: " << result.decisions.size() << " decisions ("
        << counts[0] << " constant, " << counts[1] << " shape, " << counts[2]
        << " data)";
  DotWriter(out, result.decisions)
      .write(scripted, method, *result.graph, title.str());
}

} // namespace s2t
