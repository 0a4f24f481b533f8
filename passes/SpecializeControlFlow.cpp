//===- passes/SpecializeControlFlow.cpp - Scripted graph to flat trace ----===//
//
// An abstract interpreter over a scripted graph. Every value of the input graph
// maps to an abstract value (passes/specialize/AbstractValue.h): a constant, a
// value of the flat output graph with its sample value, or a structure (list,
// tuple, dict, object) whose elements are abstract values themselves. The walk
//   - inlines prim::CallMethod / prim::CallFunction by walking the callee,
//     and the __enter__ / __exit__ calls of prim::Enter / prim::Exit,
//   - resolves prim::GetAttr on modules to submodules and attribute values,
//   - decides prim::If from the sample and walks only the taken block,
//   - unrolls prim::Loop iteration by iteration,
//   - answers list/tuple/dict/Optional operations from structure,
// and emits every other operation into the flat graph without running it.
// When a decision needs a value, the LazyEvaluator computes it from the flat
// graph: metadata from meta tensors and shape functions, data by running the
// backward slice of the decision. Operations on constants only that produce no
// tensor are folded.
//
// This file holds the walk, the dispatch and the entry points; the rooms of
// passes/specialize/ hold the rest (see passes/specialize/Specializer.h).
//
// Assumes TorchScript's lowering: early return, break and continue are already
// prim::If nodes feeding the loop condition, so deciding If and Loop suffices.
//
//===----------------------------------------------------------------------===//

#include "passes/SpecializeControlFlow.h"

#include "ir/Error.h"
#include "io/SampleSpec.h"
#include "ir/SourceLocation.h"
#include "passes/Cleanup.h"
#include "passes/specialize/Idioms.h"
#include "passes/specialize/Specializer.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/jit_log.h>

namespace s2t {

using namespace torch::jit;

const char *toString(DecisionCategory category) {
  switch (category) {
  case DecisionCategory::Constant:
    return "constant";
  case DecisionCategory::Shape:
    return "shape";
  case DecisionCategory::Data:
    return "data";
  }
  return "?";
}

std::string Decision::location() const { return sourceLocation(node); }

const char *Decision::kindName() const {
  switch (kind) {
  case If:
    return "if";
  case Loop:
    return "loop";
  case Value:
    return "value";
  }
  return "?";
}

std::string Decision::outcomeText() const {
  if (residual)
    return "residual";
  switch (kind) {
  case If:
    return outcome == 0 ? "then" : "else";
  case Loop:
    return std::to_string(outcome) +
           (outcome == 1 ? " iteration" : " iterations");
  case Value:
    return value;
  }
  return "?";
}

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

} // namespace

void logUpdate(const std::string &message) { GRAPH_UPDATE(message); }

bool updatesLogged() {
  return is_enabled(__FILE__, JitLoggingLevels::GRAPH_UPDATE);
}

Specializer::Specializer(const SpecializeOptions &options)
    : options_(options), out_(std::make_shared<Graph>()),
      evaluator_([this](const Node *flat, const Node *origin,
                        const std::string &message) {
        auto site = callSites_.find(flat);
        conversionError(where(origin ? origin : flat,
                              site == callSites_.end() ? nullptr
                                                       : site->second.get()) +
                        ": running " + flat->kind().toQualString() +
                        " on the sample failed: " + firstMessageLine(message));
      }) {
  evaluator_.setKernelThreads(options.threads);
}

std::vector<AV> Specializer::bindInputs(const Graph &graph,
                                        const std::vector<IValue> &inputs) {
  std::vector<AV> abstractInputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value *input = graph.inputs()[i];
    Value *flatInput = out_->addInput()->copyMetadata(const_cast<Value *>(input));
    const IValue &sample = inputs[i];
    if (isUnknownSample(sample)) {
      evaluator_.setUnknown(flatInput);
      abstractInputs.push_back(graphValue(flatInput, DecisionCategory::Data));
      continue;
    }
    if (isShapeOnlySample(sample))
      evaluator_.setShapeOnly(flatInput, sample);
    else
      evaluator_.setKnown(flatInput, sample);
    if (sample.isObject()) {
      moduleValues_[sample.toObject().get()] = flatInput;
      abstractInputs.push_back(AV::object(sample, DecisionCategory::Constant));
      continue;
    }
    if (sample.isNone()) {
      AV none = AV::constant(sample, DecisionCategory::Shape);
      none.witness = flatInput;
      abstractInputs.push_back(std::move(none));
      continue;
    }
    Value *bound = flatInput;
    if (auto optional = input->type()->cast<OptionalType>()) {
      if (options_.guards == GuardMode::None) {
        // A sample given for an Optional argument types the argument, as a
        // trace types it: nothing checks a None later, and torch.export's
        // converter refuses prim::unchecked_cast.
        flatInput->setType(optional->getElementType());
      } else {
        // The guards check None-ness, so the argument stays Optional and is
        // refined, as the scripted graph's prim::unchecked_cast after its
        // `is not None` check does.
        bound =
            out_->insertNode(out_->create(prim::unchecked_cast, {flatInput}))
                ->output()
                ->setType(optional->getElementType());
        if (isShapeOnlySample(sample))
          evaluator_.setShapeOnly(bound, sample);
        else
          evaluator_.setKnown(bound, sample);
      }
    }
    DecisionCategory dep = sample.isTensor() || sample.isList() ||
                                   sample.isTuple() || sample.isGenericDict()
                               ? DecisionCategory::Data
                               : DecisionCategory::Shape;
    abstractInputs.push_back(graphValue(bound, dep));
  }
  return abstractInputs;
}

SpecializeResult Specializer::run(const Graph &graph,
                                  const std::vector<IValue> &inputs) {
  if (inputs.size() != graph.inputs().size())
    usageError("the graph takes " + std::to_string(graph.inputs().size()) +
               " inputs, got " + std::to_string(inputs.size()) + " samples");
  std::vector<AV> abstractInputs = bindInputs(graph, inputs);
  try {
    std::vector<AV> outputs = walkGraph(graph, std::move(abstractInputs));
    for (size_t i = 0; i < outputs.size(); ++i)
      out_->registerOutput(
          materialize(outputs[i], graph.outputs()[i]->type()));
  } catch (const UnknownValue &unknown) {
    failUnknown(current_, unknown);
  }
  // An operation no decision needed must still fail when the sample makes it
  // fail, as the scripted module and a trace would (docs/semantics.md): those
  // the flat graph keeps are checked on metadata (their kernels fail when it
  // runs), and those it drops as dead are run, just before they go. A write
  // kept for its own sake may still go in the clean-up, with alias analysis;
  // those it surely keeps (mvit's `attn[:, :, 1:, 1:] += rel_pos`) are not
  // run.
  evaluator_.checkAll();
  std::unordered_set<const Node *> keptWrites;
  if (evaluator_.writes() != 0) // else runDropped has nothing to run
    keptWrites = writesCleanupKeeps(out_->block(), schemas_.get());
  eliminateDeadCode(
      out_->block(),
      [&](const IsLive &live) { evaluator_.runDropped(live, keptWrites); },
      schemas_.get());
  result_.graph = out_;
  result_.schemas = schemas_;
  result_.kernelsRun = evaluator_.kernelsRun();
  result_.metadataFormula = evaluator_.metadataByFormula();
  result_.metadataDispatch = evaluator_.metadataByDispatch();
  result_.metadataReused = evaluator_.metadataReused();
  return std::move(result_);
}

std::vector<AV> Specializer::walkGraph(const Graph &graph,
                                       std::vector<AV> inputs) {
  const Block *block = graph.block();
  TORCH_INTERNAL_ASSERT(inputs.size() == block->inputs().size());
  for (size_t i = 0; i < inputs.size(); ++i)
    bind(block->inputs()[i], std::move(inputs[i]));
  return walkBlock(block);
}

std::vector<AV> Specializer::walkBlock(const Block *block) {
  // The walk recurses into blocks and callees; refuse what would overflow
  // the stack (a thread's default 8 MiB; AddressSanitizer's frames are about
  // four times larger).
  constexpr int kMaxNesting = kAddressSanitizer ? 250 : 1000;
  if (++depth_ > kMaxNesting)
    unsupported(current_ ? current_ : block->owningNode(),
                "blocks and calls nest deeper than " +
                    std::to_string(kMaxNesting) + " levels");
  for (const Node *node : block->nodes())
    walkNode(node);
  --depth_;
  std::vector<AV> outputs;
  outputs.reserve(block->outputs().size());
  for (const Value *output : block->outputs())
    outputs.push_back(lookup(output));
  return outputs;
}

void Specializer::walkNode(const Node *node) {
  // torch's accessors check a node's shape (node->input() wants one input,
  // node->i(attr) the attribute) and throw; a textual graph may hold any
  // shape of node, since parseIR checks none. Such a throw is about this
  // node, not a crash of s2t: say so on one line, with the node.
  try {
    dispatchNode(node);
  } catch (const Error &) {
    throw;
  } catch (const c10::Error &e) {
    rethrowIfOutOfMemory(e);
    unsupported(node, "malformed node (torch: " +
                          firstMessageLine(e.what_without_backtrace()) + ")");
  } catch (const std::exception &e) {
    rethrowIfOutOfMemory(e);
    unsupported(node,
                "malformed node (torch: " + firstMessageLine(e.what()) + ")");
  }
}

void Specializer::dispatchNode(const Node *node) {
  current_ = node;
  switch (node->kind()) {
  case prim::Constant:
    if (node->output()->type()->kind() == TypeKind::FunctionType) {
      bind(node->output(), AV::constant(IValue(), DecisionCategory::Constant));
      return;
    }
    bind(node->output(),
         fromIValue(constantValue(node), DecisionCategory::Constant));
    return;
  case prim::If:
    return walkIf(node);
  case prim::Loop:
    return walkLoop(node);
  case prim::CallMethod: {
    const Graph &method =
        methodGraph(node, lookup(node->input(0)), node->s(attr::name));
    std::vector<AV> args;
    for (const Value *input : node->inputs())
      args.push_back(lookup(input));
    return walkCall(node, method, std::move(args));
  }
  case prim::CallFunction: {
    auto functionType = node->input(0)->type()->expect<FunctionType>();
    std::vector<AV> args;
    for (const Value *input : node->inputs().slice(1))
      args.push_back(lookup(input));
    return walkCall(node, *toGraphFunction(*functionType->function()).graph(),
                    std::move(args));
  }
  case prim::GetAttr:
    return walkGetAttr(node);
  case prim::SetAttr:
    return walkSetAttr(node);
  case prim::CreateObject:
    return walkCreateObject(node);
  case prim::RaiseException:
    return walkRaise(node);
  case aten::warn:
    return; // a trace records no warnings
  case prim::Enter:
    return walkEnter(node);
  case prim::Exit:
    return walkExit(node);
  default:
    break;
  }
  // Lists, tuples, dicts and Optionals are answered from structure where
  // their idiom table has the operation and its handler takes it.
  if (IdiomHandler handler = findIdiom(node))
    if (handler(Idiom{*this, node}))
      return;
  walkGeneric(node);
}

SpecializeResult specializeControlFlow(const Graph &graph,
                                       const std::vector<IValue> &inputs,
                                       const SpecializeOptions &options) {
  Specializer specializer(options);
  SpecializeResult result = specializer.run(graph, inputs);
  GRAPH_DUMP("After SpecializeControlFlow:", result.graph);
  return result;
}

bool SpecializeControlFlow(std::shared_ptr<Graph> &graph,
                           const std::vector<IValue> &inputs) {
  graph = specializeControlFlow(*graph, inputs).graph;
  return true;
}

} // namespace s2t
