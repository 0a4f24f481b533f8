//===- passes/InsertFallback.cpp - Guards that fall back to the scripted method ===//
//
// Nests the rest of the graph into each check, in program order:
//
//   %ok = ...                        %ok = ...
//   prim::If(%ok)        becomes     %r = prim::If(%ok)
//     block0(): -> ()                  block0(): <the rest> -> (%out)
//     block1(): raise                  block1(): %f = prim::CallMethod[
//   <the rest>                                   name="_s2t_scripted_forward"]
//   return (%out)                                (%self, %x) -> (%f)
//                                    return (%r)
//
// Only checks of the top-level block are rewritten; a check inside a
// residual prim::If / prim::Loop (--allow-residual) keeps raising.
//
//===----------------------------------------------------------------------===//

#include "passes/InsertFallback.h"

#include "ir/Error.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/ir/alias_analysis.h>
#include <torch/csrc/jit/ir/ir.h>

#include <unordered_set>

namespace s2t {

using namespace torch::jit;

std::string fallbackMethodName(const std::string &method) {
  return "_s2t_scripted_" + method;
}

namespace {

/// Nesting beyond this would overflow the recursive printers and loaders
/// of TorchScript.
constexpr size_t kMaxFallbackChecks = 1000;

/// Refuses a graph where an operation before the last check writes to
/// memory the caller or the module can see.
void checkNoVisibleWritesBefore(const std::shared_ptr<Graph> &graph,
                                Node *lastCheck) {
  AliasDb aliasDb(graph);
  ValueSet visible;
  for (Value *input : graph->inputs())
    visible.insert(input);
  for (Node *node : graph->nodes())
    if (node->kind() == prim::GetAttr)
      visible.insert(node->output());
  for (Node *node : graph->nodes()) {
    if (node == lastCheck)
      break;
    if (node->kind() == prim::If || node->kind() == prim::Loop)
      continue;
    if (aliasDb.writesToAlias(node, visible))
      conversionError(sourceLocation(node) + ": " +
                      node->kind().toQualString() +
                      " writes to an input or to the module's state before a "
                      "check; falling back to the scripted method would run "
                      "it twice (use " +
                      option("guards", "assert") + ")");
  }
}

} // namespace

void InsertFallback(const std::shared_ptr<Graph> &graph,
                    const std::vector<Node *> &checks,
                    const std::string &fallbackMethod) {
  std::vector<Node *> topLevel;
  for (Node *check : checks)
    if (check->owningBlock() == graph->block())
      topLevel.push_back(check);
  if (topLevel.empty())
    return;
  if (topLevel.size() > kMaxFallbackChecks)
    conversionError(option("guards", "fallback") + ": the flat graph needs " +
                    std::to_string(topLevel.size()) + " checks, more than " +
                    std::to_string(kMaxFallbackChecks) +
                    " can nest (use " + option("guards", "assert") + ")");
  if (graph->inputs().empty() ||
      graph->inputs()[0]->type()->kind() != c10::TypeKind::ClassType)
    usageError(option("guards", "fallback") +
               " needs a module's method (an archive): a "
               "textual graph has no scripted method to fall back to");
  checkNoVisibleWritesBefore(graph, topLevel.back());

  std::vector<Value *> arguments(graph->inputs().begin(),
                                 graph->inputs().end());
  Block *block = graph->block();
  for (Node *check : topLevel) {
    // `block` is where the check now lives: the top level, or the then
    // block of the previous check.
    Node *branch = graph->create(prim::If, {check->input()}, 0);
    branch->setSourceRange(check->sourceRange());
    branch->insertBefore(check);
    Block *pass = branch->addBlock();
    Block *fail = branch->addBlock();

    // The rest of the block moves into the passing branch.
    for (Node *next = check->next(); next != block->return_node();) {
      Node *moving = next;
      next = next->next();
      moving->moveBefore(pass->return_node());
    }
    for (Value *output : block->outputs())
      pass->registerOutput(output);

    // The failing branch calls the scripted method.
    WithInsertPoint inFail(fail);
    Node *call = graph->create(prim::CallMethod, arguments,
                               block->outputs().size());
    call->s_(attr::name, fallbackMethod);
    for (size_t i = 0; i < block->outputs().size(); ++i) {
      call->output(i)->setType(block->outputs()[i]->type());
    }
    graph->insertNode(call);
    for (Value *output : call->outputs())
      fail->registerOutput(output);

    // The block now returns the branch's results.
    for (size_t i = 0; i < block->outputs().size(); ++i) {
      Value *result =
          branch->addOutput()->setType(block->outputs()[i]->type());
      block->replaceOutput(i, result);
    }
    check->destroy();
    block = pass;
  }
}

} // namespace s2t
