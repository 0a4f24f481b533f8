//===- passes/specialize/ControlFlow.cpp - If, Loop, calls and `with` -----===//
//
// The control flow of the scripted graph, walked on the sample: prim::If
// walks only the taken block, prim::Loop is unrolled iteration by iteration,
// prim::CallMethod / prim::CallFunction walk the callee in place, and
// prim::Enter / prim::Exit walk `__enter__` / `__exit__` (torch's grad-mode
// contexts are walked through). Each If and Loop is recorded as a decision.
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Specializer.h"

#include "ir/Error.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>

#include <set>

namespace s2t {

using namespace torch::jit;

namespace {

/// `with torch.no_grad():` and torch's other grad-mode contexts. They are
/// walked through without calling __enter__ / __exit__: a trace records no
/// grad-mode switch, and s2t decides in its own grad mode (README, Known
/// limits).
bool isGradModeContext(const AV &context) {
  if (context.kind != AV::Object)
    return false;
  const auto &name = context.value.toObjectRef().type()->name();
  return name && name->qualifiedName().rfind(
                     "__torch__.torch.autograd.grad_mode.", 0) == 0;
}

} // namespace

void Specializer::walkIf(const Node *node) {
  // A textual graph may hold any shape of node: parseIR does not check.
  if (node->inputs().size() != 1 || node->blocks().size() != 2 ||
      !node->blocks()[0]->inputs().empty() ||
      !node->blocks()[1]->inputs().empty() ||
      node->blocks()[0]->outputs().size() != node->outputs().size() ||
      node->blocks()[1]->outputs().size() != node->outputs().size())
    unsupported(node, "malformed: expected one condition and two blocks "
                      "without inputs, each with one output per output");
  const AV &condition = lookup(node->input());
  bool taken;
  lastChecked_ = false;
  try {
    taken = decideBool(condition, node);
  } catch (const UnknownValue &unknown) {
    if (!options_.allowResidual)
      failUnknown(node, unknown);
    return residualIf(node, condition, unknown);
  }
  record(Decision::If, condition.dep, node, taken ? 0 : 1,
         dependenciesOf(condition));
  if (logUpdates_)
    logUpdate(c10::str("Deciding prim::If at ", sourceLocation(node), ": ",
                       taken ? "then" : "else", " (", toString(condition.dep),
                       ")"));
  DecisionCategory saved = pathDep_;
  pathDep_ = std::max(pathDep_, condition.dep);
  std::vector<AV> outputs = walkBlock(node->blocks()[taken ? 0 : 1]);
  pathDep_ = saved;
  // What a branch produced depends on the decision that took it.
  for (size_t i = 0; i < outputs.size(); ++i)
    bind(node->outputs()[i], withDep(std::move(outputs[i]), condition.dep));
}

void Specializer::walkLoop(const Node *node) {
  // A textual graph may hold any shape of node: parseIR does not check.
  size_t carriedCount = node->inputs().size() - 2;
  if (node->inputs().size() < 2 || node->blocks().size() != 1 ||
      node->blocks()[0]->inputs().size() != carriedCount + 1 ||
      node->blocks()[0]->outputs().size() != carriedCount + 1 ||
      node->outputs().size() != carriedCount)
    unsupported(node, "malformed: expected a trip count, a condition and "
                      "one block taking the iteration and the carried values "
                      "and returning the condition and the carried values");
  const Block *body = node->blocks()[0];
  const AV &tripCount = lookup(node->input(0));
  int64_t maxTrips;
  lastChecked_ = false;
  try {
    maxTrips = decideInt(tripCount, node);
  } catch (const UnknownValue &unknown) {
    if (!options_.allowResidual)
      failUnknown(node, unknown);
    std::vector<AV> carried;
    for (const Value *input : node->inputs().slice(2))
      carried.push_back(lookup(input));
    return residualLoop(node, 0, tripCount, lookup(node->input(1)),
                        std::move(carried), unknown);
  }
  AV condition = lookup(node->input(1));
  std::vector<AV> carried;
  for (const Value *input : node->inputs().slice(2))
    carried.push_back(lookup(input));

  DecisionCategory saved = pathDep_;
  DecisionCategory dep = std::max(tripCount.dep, condition.dep);
  std::vector<std::string> tripDeps = dependenciesOf(tripCount);
  std::set<std::string> dependsOn(tripDeps.begin(), tripDeps.end());
  bool checked = lastChecked_;
  lastChecked_ = false;
  int64_t trip = 0;
  while (trip < maxTrips) {
    dep = std::max(dep, condition.dep);
    bool more;
    try {
      more = decideBool(condition, node);
    } catch (const UnknownValue &unknown) {
      if (!options_.allowResidual)
        failUnknown(node, unknown);
      pathDep_ = saved;
      AV remaining = tripCount;
      if (trip > 0) {
        // The iterations left: the trip count less those unrolled.
        Node *sub = out_->create(
            aten::sub,
            {materialize(tripCount, IntType::get()),
             materialize(AV::constant(trip, DecisionCategory::Constant),
                         IntType::get())});
        sub->output()->setType(IntType::get());
        remaining = graphValue(insertRaw(sub, node)->output(), tripCount.dep);
        evaluator_.setUnknown(sub->output());
      }
      return residualLoop(node, trip, remaining, condition,
                          std::move(carried), unknown);
    }
    checked |= lastChecked_;
    lastChecked_ = false;
    if (condition.witnessValue())
      for (std::string &source : dependenciesOf(condition))
        dependsOn.insert(std::move(source));
    if (!more)
      break;
    if (++result_.iterationsUnrolled > options_.maxUnroll)
      conversionError(where(node) +
                      ": loop unrolling exceeds " +
                      option("max_unroll", options_.maxUnroll) +
                      " iterations in all");
    pathDep_ = std::max(saved, dep);
    bind(body->inputs()[0], AV::constant(IValue(trip), dep));
    for (size_t i = 0; i < carried.size(); ++i)
      bind(body->inputs()[i + 1], std::move(carried[i]));
    std::vector<AV> outputs = walkBlock(body);
    condition = std::move(outputs[0]);
    carried.assign(std::make_move_iterator(outputs.begin() + 1),
                   std::make_move_iterator(outputs.end()));
    ++trip;
  }
  pathDep_ = saved;
  lastChecked_ = checked;
  record(Decision::Loop, dep, node, trip,
         std::vector<std::string>(dependsOn.begin(), dependsOn.end()));
  if (logUpdates_)
    logUpdate(c10::str("Unrolled prim::Loop at ", sourceLocation(node), ": ",
                       trip, " iterations (", toString(dep), ")"));
  for (size_t i = 0; i < carried.size(); ++i)
    bind(node->outputs()[i], withDep(std::move(carried[i]), dep));
}

void Specializer::walkCall(const Node *node, const Graph &callee,
                           std::vector<AV> calleeInputs) {
  std::vector<AV> outputs = inlineCall(node, callee, std::move(calleeInputs));
  for (size_t i = 0; i < outputs.size(); ++i)
    bind(node->outputs()[i], std::move(outputs[i]));
}

std::vector<AV> Specializer::inlineCall(const Node *node, const Graph &callee,
                                        std::vector<AV> calleeInputs) {
  ++result_.callsInlined;
  std::shared_ptr<const CallSite> caller = callSite_;
  callSite_ = std::make_shared<const CallSite>(CallSite{node, caller});
  std::vector<AV> outputs = walkGraph(callee, std::move(calleeInputs));
  // Not restored when the walk throws: what is thrown through a call ends
  // the conversion, and its message (run()'s catch) names these call sites.
  callSite_ = std::move(caller);
  return outputs;
}

const Graph &Specializer::methodGraph(const Node *node, const AV &self,
                                      const std::string &name) {
  if (self.kind != AV::Object)
    unsupported(node, "method call on a value that is not an object");
  auto object = self.value.toObject();
  Function *method = object->type()->findMethod(name);
  if (!method)
    unsupported(node, "object of type " + object->type()->repr_str() +
                          " has no method " + name);
  return *toGraphFunction(*method).graph();
}

// `with c as m:` is lowered by TorchScript to `m = prim::Enter(c)`, the body,
// then `prim::Exit(c)`, which its interpreter runs as `c.__enter__()` and
// `c.__exit__(None, None, None)`. Its exit transform (exit_transforms.cpp)
// leaves the Exit after the body on every path out of it (an early return,
// break or continue only guards the rest of the body), so walking in order
// calls each method once per entry, as the interpreter does.
void Specializer::walkEnter(const Node *node) {
  AV context = lookup(node->input());
  if (isGradModeContext(context)) {
    bind(node->output(), std::move(context));
    return;
  }
  const Graph &enter = methodGraph(node, context, "__enter__");
  std::vector<AV> result = inlineCall(node, enter, {context});
  if (result.size() != 1 || node->outputs().size() != 1)
    unsupported(node, "expected __enter__ and prim::Enter to give one value");
  bind(node->output(), std::move(result.front()));
}

void Specializer::walkExit(const Node *node) {
  AV context = lookup(node->input());
  AV none = AV::constant(IValue(), DecisionCategory::Constant);
  if (!isGradModeContext(context)) {
    const Graph &exit = methodGraph(node, context, "__exit__");
    inlineCall(node, exit, {context, none, none, none});
  }
  // __exit__'s result only matters to an exception, which ends the walk.
  for (const Value *output : node->outputs())
    bind(output, none);
}

} // namespace s2t
