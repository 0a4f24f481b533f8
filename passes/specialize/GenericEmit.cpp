//===- passes/specialize/GenericEmit.cpp - Every other operation ----------===//
//
// What no room of the walk answers from structure goes into the flat graph:
// operations on constants that make no tensor are folded (run on the
// samples), metadata queries are answered from the sample's metadata, and
// everything else is emitted unrun, for the LazyEvaluator to compute if a
// decision needs it. Also here: appending to the flat graph (insertRaw,
// emit, with --max-nodes) and the errors that name the sample's path.
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Specializer.h"

#include "ir/Error.h"
#include "ir/OperatorFacts.h"
#include "io/OperatorLibraries.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/operator.h>

namespace s2t {

using namespace torch::jit;

namespace {

/// The types of `node`'s inputs, as "Tensor, int".
std::string inputTypes(const Node *node) {
  std::string types;
  for (const Value *value : node->inputs())
    types += (types.empty() ? "" : ", ") + value->type()->repr_str();
  return types;
}

} // namespace

Node *Specializer::insertRaw(Node *node, const Node *source) {
  if (source) {
    node->setSourceRange(source->sourceRange());
    if (source->callstack())
      node->setCallStack(*source->callstack());
  }
  if (callSite_)
    callSites_.emplace(node, callSite_);
  if (++nodesEmitted_ > options_.maxNodes)
    conversionError(where(source ? source : current_) +
                    ": the flat graph exceeds " +
                    option("max_nodes", options_.maxNodes) + " operations");
  return out_->insertNode(node);
}

Node *Specializer::emit(Node *node, const Node *source,
                        const Node *operatorOf) {
  insertRaw(node, source);
  // A node whose scripted operation is deterministic is: that operation's
  // `train` argument, if any, was a constant, and is the same constant here.
  // A dropout outside training or of probability 0 draws nothing, in-place
  // or not.
  bool random = operatorOf && !factsOf(operatorOf).nondeterministic
                    ? false
                    : isNondeterministic(node) &&
                          !isDropoutDrawingNothing(node);
  // The schema of the operator that computes it: the scripted node's keeps
  // its match; the flat node's is matched once per operator and input types
  // (and recorded for the clean-up).
  const c10::FunctionSchema *schema =
      operatorOf ? operatorOf->maybeSchema() : schemas_->match(node);
  evaluator_.emitted(node, operatorOf, random, schema);
  return node;
}

void Specializer::nameAfter(Value *value, const Value *source) {
  auto [emitted, first] = emittedNames_.try_emplace(source, 0);
  if (first) {
    value->setDebugName(source->debugName());
    return;
  }
  // A name of its own, which no value of the scripted graph has (theirs end
  // in at most one numeric suffix), so that taking it renames nothing.
  value->setDebugName(source->debugName() + "." +
                      std::to_string(++emitted->second));
}

std::string Specializer::where(const Node *node, const CallSite *site) const {
  // At most this many call sites: a message stays one readable line.
  constexpr int kMaxCallSites = 8;
  std::string text = sourceLocation(node);
  int shown = 0;
  for (; site && shown < kMaxCallSites; site = site->caller.get(), ++shown)
    text += (shown == 0 ? " (called from " : ", from ") +
            sourceLocation(site->call);
  if (site)
    text += ", ...";
  if (shown > 0)
    text += ")";
  return text;
}

std::vector<IValue> Specializer::runOperation(const Node *node,
                                              std::vector<IValue> inputs) {
  Stack stack(std::make_move_iterator(inputs.begin()),
              std::make_move_iterator(inputs.end()));
  const FunctionSchema *schema = node->maybeSchema();
  if (schema && schema->is_vararg()) // as the interpreter does (aten::format)
    stack.emplace_back(static_cast<int64_t>(node->inputs().size()));
  try {
    auto cached = operations_.find(node);
    if (cached == operations_.end())
      cached = operations_.emplace(node, node->getOperation()).first;
    cached->second(stack);
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    runEarlierOperations();
    conversionError(where(node) + ": running " +
                    node->kind().toQualString() +
                    " on the sample failed: " + firstMessageLine(e.what()));
  }
  TORCH_INTERNAL_ASSERT(stack.size() == node->outputs().size());
  return stack;
}

void Specializer::runEarlierOperations() {
  try {
    evaluator_.runAll();
  } catch (const Error &) {
    throw; // the first operation that fails on the sample
  } catch (const std::exception &) {
    // Not the sample's failure: the error at hand is reported.
  }
}

void Specializer::unsupported(const Node *node, const Message &why) {
  runEarlierOperations();
  conversionError(where(node) + ": unsupported: " +
                  node->kind().toQualString() + ": " + why);
}

void Specializer::walkRaise(const Node *node) {
  std::string message = "exception";
  if (node->inputs().size() > 0) {
    IValue text = concrete(lookup(node->input(0)));
    if (text.isString())
      message = text.toStringRef();
  }
  std::string kind;
  if (node->inputs().size() > 1) {
    IValue name = concrete(lookup(node->input(1)));
    if (name.isString())
      kind = name.toStringRef();
  }
  if (kind.empty())
    kind = "Exception";
  runEarlierOperations();
  conversionError(where(node) + ": the sample's path raises " + kind +
                  ": " + message);
}

const Specializer::OperationFacts &Specializer::factsOf(const Node *node) {
  auto known = facts_.find(node);
  if (known != facts_.end())
    return known->second;
  if (getAllOperatorsFor(node->kind()).empty()) {
    unsupported(node, "the operator is not registered in this LibTorch" +
                          loadHintFor(node->kind().toQualString()));
  }
  // torch's own queries (isNondeterministic, hasSideEffects) assume an aten
  // node matches one of its operator's schemas; a textual graph need not.
  if (node->kind().is_aten() && !node->maybeSchema())
    unsupported(node, "no overload takes these arguments (" +
                          inputTypes(node) + ")");
  OperationFacts facts;
  facts.torchNondeterministic = isNondeterministic(node);
  facts.nondeterministic =
      facts.torchNondeterministic && !isDropoutDrawingNothing(node);
  facts.sideEffects = node->hasSideEffects();
  for (const Value *output : node->outputs())
    facts.producesTensorOrObject |= containsTensorOrObject(output->type());
  facts.metadataQuery = isMetadataQuery(node->kind());
  facts.readsShapeOnly = facts.metadataQuery || isShapeRead(node);
  return facts_.emplace(node, facts).first->second;
}

bool Specializer::isNondeterministic(const Node *node) {
  // torch answers from the aten operator's schema and, where it has a
  // `train` argument, from that argument's constant.
  const c10::FunctionSchema *schema =
      node->kind().is_aten() ? node->maybeSchema() : nullptr;
  if (!schema || schema->argumentIndexWithName("train"))
    return node->isNondeterministic();
  auto known = nondeterministic_.find(schema);
  if (known != nondeterministic_.end())
    return known->second;
  return nondeterministic_.emplace(schema, node->isNondeterministic())
      .first->second;
}

void Specializer::walkGeneric(const Node *node) {
  const OperationFacts &facts = factsOf(node);
  bool readsShapeOnly = facts.readsShapeOnly;
  DecisionCategory dep = DecisionCategory::Constant;
  for (size_t i = 0; i < node->inputs().size(); ++i) {
    const AV &av = lookup(node->input(i));
    dep = std::max(dep, readsShapeOnly
                            ? std::min(av.deepDep(), DecisionCategory::Shape)
                            : av.deepDep());
    if (av.kind == AV::Aggregate && writesArgument(node, i))
      unsupported(node, "mutates a list, tuple or dict in a way s2t does "
                        "not model");
  }
  if (facts.nondeterministic)
    dep = DecisionCategory::Data; // a random value is data, like a tensor's

  std::vector<AV> inputs;
  inputs.reserve(node->inputs().size());
  for (const Value *input : node->inputs())
    inputs.push_back(lookup(input));
  if (foldGeneric(node, inputs, dep))
    return;
  if (residual_ > 0)
    for (size_t i = 0; i < node->inputs().size(); ++i)
      if (writesArgument(node, i))
        unsupported(node, "an in-place operation under a prim::If or "
                          "prim::Loop kept residual (" +
                              option("allow_residual") + ")");
  emitGeneric(node, dep);
}

bool Specializer::foldGeneric(const Node *node, const std::vector<AV> &inputs,
                              DecisionCategory dep) {
  const OperationFacts &facts = factsOf(node);
  bool metadata = facts.metadataQuery;
  if (metadata && !inputs.empty() && inputs[0].kind == AV::Graph &&
      isDeviceQuery(node->kind())) {
    // Answered from the sample's metadata and baked in, as a trace does.
    c10::Device device = evaluator_.device(inputs[0].graphValue);
    IValue answer = node->kind() == prim::device ? IValue(device)
                    : node->kind() == prim::is_cuda
                        ? IValue(device.is_cuda())
                        : IValue(device.is_meta());
    std::vector<AV> results{AV::constant(answer, dep)};
    attachWitnesses(node, inputs, results);
    bind(node->output(), std::move(results[0]));
    return true;
  }
  // Operations on constants that make no tensor are folded.
  bool allConstant = true;
  for (const AV &input : inputs)
    allConstant &= input.isConstantTree();
  if (!metadata && (!allConstant || facts.producesTensorOrObject ||
                    facts.nondeterministic || facts.sideEffects))
    return false;
  std::vector<IValue> samples;
  samples.reserve(inputs.size());
  try {
    for (const AV &input : inputs)
      samples.push_back(concrete(input));
  } catch (const UnknownValue &) {
    return false; // computed in the flat graph, decided where needed
  }
  std::vector<IValue> values = runOperation(node, std::move(samples));
  std::vector<AV> results;
  results.reserve(values.size());
  for (const IValue &value : values)
    results.push_back(fromIValue(value, dep));
  if (dep != DecisionCategory::Constant)
    attachWitnesses(node, inputs, results);
  for (size_t i = 0; i < results.size(); ++i)
    bind(node->outputs()[i], std::move(results[i]));
  return true;
}

void Specializer::emitGeneric(const Node *node, DecisionCategory dep) {
  // Everything else goes into the flat graph, computed only if a decision
  // needs it.
  for (size_t i = 0; i < node->inputs().size(); ++i) {
    // A list of the flat graph that this operation mutates must be unpacked
    // anew when it is read as a structure again.
    const AV &av = lookup(node->input(i));
    if (av.kind != AV::Graph || !writesArgument(node, i))
      continue;
    auto unpacked = unpacked_.find(av.graphValue);
    if (unpacked == unpacked_.end())
      continue;
    if (unpacked->second->version != 0)
      unsupported(node, "mutates a list or dict that was also changed as a "
                        "structure");
    unpacked_.erase(unpacked);
  }
  Node *flat = out_->create(node->kind(), 0);
  flat->copyAttributes(*node);
  for (const Value *input : node->inputs())
    flat->addInput(materialize(lookup(input), input->type()));
  for (const Value *output : node->outputs()) {
    Value *result = flat->addOutput()->setType(output->type());
    if (output->hasDebugName())
      nameAfter(result, output);
  }
  // A textual graph may declare types its values do not have (a str stored
  // in a Dict(str, Tensor)); torch's passes assert on the aten node that
  // results, which matches none of its schemas. (Matched once per operator
  // and input types, ir/FlatSchemas.h.)
  if (!schemas_->match(flat) && flat->kind().is_aten())
    unsupported(node, "the values reaching it do not have the types the "
                      "graph declares (" + inputTypes(flat) + ")");
  emit(flat, node, node);
  for (size_t i = 0; i < node->outputs().size(); ++i)
    bind(node->outputs()[i], graphValue(flat->output(i), dep));
}

} // namespace s2t
