//===- passes/evaluate/LazyEvaluator.cpp - Sample values on demand --------===//
//
// See LazyEvaluator.h. The flat graph is straight-line code, so program order
// is the order of its node list, and Node::isBefore compares positions.
//
// The evaluator keeps, per flat-graph value, its real and meta values, and
// per emitted node whether it ran; a request computes the backward slice of
// the values asked for (with the writers of everything they may alias, from
// AliasClasses) and runs it in program order. Operators without a meta kernel
// get their meta outputs from MetaShapes; values and types are walked with
// MetaValues.
//
//===----------------------------------------------------------------------===//

#include "passes/evaluate/LazyEvaluator.h"

#include "ir/Error.h"
#include "ir/ValueTable.h"
#include "passes/evaluate/AliasClasses.h"
#include "passes/evaluate/AttributeCopies.h"
#include "passes/evaluate/MetaFormulas.h"
#include "passes/evaluate/MetaMemo.h"
#include "passes/evaluate/MetaShapes.h"
#include "passes/evaluate/MetaValues.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/runtime/operator.h>

#include <algorithm>
#include <unordered_set>

namespace s2t {

using namespace torch::jit;
using namespace evaluate;

struct LazyEvaluator::State {
  struct ValueInfo {
    c10::IValue real;
    c10::IValue meta;
    bool hasReal = false;
    bool hasMeta = false;
    bool unknown = false; ///< setUnknown
    /// `real` is a module's attribute, which the evaluator's own tensors
    /// replace on its first real use (AttributeCopies: copied on write).
    bool attribute = false;
    /// Its meta value's strides are not the sample's: it was sized by a
    /// shape function (contiguous strides), or computed from such a value.
    bool inexactLayout = false;
    c10::Device device = c10::kCPU;
  };
  struct NodeInfo {
    const Node *origin = nullptr;
    /// The schema of the operator that runs (the origin's, if any).
    const FunctionSchema *schema = nullptr;
    bool ranReal = false;
    bool ranMeta = false;
    bool random = false;
    bool mutates = false;
    std::vector<size_t> written; ///< inputs the node writes to
    c10::optional<Operation> operation;
  };
  enum Mode { Meta, Real };
  /// Thrown by the meta evaluation of an operator that has neither a meta
  /// kernel nor a shape function.
  struct NoMetaKernel : std::exception {
    const char *what() const noexcept override { return "no meta kernel"; }
  };

  explicit State(FailureHandler onFailure) : onFailure(std::move(onFailure)) {}

  FailureHandler onFailure;
  ValueTable<ValueInfo> values;
  std::unordered_map<const Node *, NodeInfo> nodes;
  AliasClasses aliases;
  AttributeCopies attributeCopies;
  MetaFormulas formulas;
  MetaMemo memo;
  int64_t metadataFormula = 0;  ///< meta outputs computed by formula
  int64_t metadataDispatch = 0; ///< by a meta kernel or a shape function
  int64_t metadataReused = 0;   ///< as a meta kernel gave them before
  ShapeFunctions shapeFunctions;
  std::vector<Node *> randomNodes;
  std::vector<Node *> order; ///< emitted nodes, in program order
  /// The first known value holding a tensor of each storage: known values
  /// (arguments, attributes) that share memory start in one alias class.
  std::unordered_map<const c10::StorageImpl *, Value *> storages;
  /// The meta tensors inside known values (shape-only elements of a list or
  /// tuple argument, `[f32[3,320,320]]`), each with the value that brought
  /// it: a kernel that would read one needs data the sample does not give.
  std::unordered_map<const c10::TensorImpl *, const Value *> shapeOnlyTensors;
  int64_t *kernelsRun = nullptr;
  /// Options::threads, until the first kernel on real values applies it.
  int64_t pendingThreads = 0;

  /// The value that brought a shape-only tensor on `stack`, if any.
  const Value *shapeOnlySource(const Stack &stack) const {
    const Value *source = nullptr;
    for (const IValue &value : stack)
      forEachTensor(value, [&](const at::Tensor &tensor) {
        if (!source && tensor.defined() && tensor.is_meta()) {
          auto it = shapeOnlyTensors.find(tensor.unsafeGetTensorImpl());
          if (it != shapeOnlyTensors.end())
            source = it->second;
        }
      });
    return source;
  }

  // --- state ----------------------------------------------------------
  bool has(const Value *value, Mode mode) {
    const ValueInfo *info = values.find(value);
    return info && (info->hasReal || (mode == Meta && info->hasMeta));
  }
  bool ran(Node *node, Mode mode) {
    auto it = nodes.find(node);
    if (it == nodes.end())
      return true; // not emitted through us: constants, known values
    return it->second.ranReal || (mode == Meta && it->second.ranMeta);
  }

  c10::IValue input(const Value *value, Mode mode,
                    const Node *needing = nullptr) {
    ValueInfo &info = values[value];
    if (!info.hasReal && (info.unknown || (mode == Real && info.hasMeta &&
                                           !nodes.count(value->node()))))
      throw UnknownValue{value, needing, !info.unknown};
    if (mode == Real) {
      TORCH_INTERNAL_ASSERT(info.hasReal, "no sample value for %",
                            value->debugName());
      if (info.attribute) {
        info.real = attributeCopies.share(info.real);
        info.attribute = false;
      }
      return info.real;
    }
    if (!info.hasMeta) {
      TORCH_INTERNAL_ASSERT(info.hasReal, "no metadata for %",
                            value->debugName());
      info.meta = toMeta(info.real);
      info.hasMeta = true;
    }
    return info.meta;
  }

  /// The interpreter runs these as instructions, not operators.
  static bool runStructural(Node *node, Stack &stack) {
    switch (node->kind()) {
    case prim::ListConstruct: {
      c10::impl::GenericList list(
          node->output()->type()->expectRef<ListType>().getElementType());
      list.reserve(stack.size());
      for (IValue &element : stack)
        list.push_back(std::move(element));
      stack.clear();
      stack.emplace_back(std::move(list));
      return true;
    }
    case prim::ListUnpack: {
      c10::List<IValue> list = stack.back().toList();
      TORCH_CHECK(list.size() == node->outputs().size(), "unpacks a list of ",
                  list.size(), " elements into ", node->outputs().size(),
                  " values");
      stack.clear();
      for (size_t i = 0; i < list.size(); ++i)
        stack.push_back(list.get(i));
      return true;
    }
    case prim::TupleConstruct: {
      auto type = node->output()->type()->cast<TupleType>();
      std::vector<IValue> elements(std::make_move_iterator(stack.begin()),
                                   std::make_move_iterator(stack.end()));
      stack.clear();
      if (type && type->schema())
        stack.emplace_back(
            c10::ivalue::Tuple::createNamed(std::move(elements), type));
      else
        stack.emplace_back(c10::ivalue::Tuple::create(std::move(elements)));
      return true;
    }
    case prim::TupleUnpack: {
      auto tuple = stack.back().toTuple();
      stack.clear();
      for (const IValue &element : tuple->elements())
        stack.push_back(element);
      return true;
    }
    case prim::DictConstruct: {
      const auto &type = node->output()->type()->expectRef<DictType>();
      c10::impl::GenericDict dict(type.getKeyType(), type.getValueType());
      for (size_t i = 0; i + 1 < stack.size(); i += 2)
        dict.insert_or_assign(stack[i], stack[i + 1]);
      stack.clear();
      stack.emplace_back(std::move(dict));
      return true;
    }
    case prim::unchecked_cast:
      return true;
    default:
      return false;
    }
  }

  Operation &operationOf(Node *node, NodeInfo &info) {
    if (!info.operation)
      info.operation =
          info.origin ? info.origin->getOperation() : node->getOperation();
    return *info.operation;
  }

  // --- evaluation -----------------------------------------------------
  /// The nodes to run, in program order, so that `targets` have a value in
  /// `mode` as they are at the end of the flat graph.
  std::vector<Node *> slice(const std::vector<Value *> &targets, Mode mode) {
    std::vector<Node *> result;
    std::unordered_set<Node *> seen;
    std::vector<Node *> work;
    auto add = [&](Node *node) {
      if (!ran(node, mode) && seen.insert(node).second)
        work.push_back(node);
    };
    auto addWritersOf = [&](const Value *value, Node *before) {
      const std::vector<Node *> *writers = aliases.writersOf(value);
      if (!writers)
        return;
      for (Node *writer : *writers)
        if (!before || writer->isBefore(before))
          add(writer);
    };
    for (Value *target : targets) {
      if (!has(target, mode))
        add(target->node());
      addWritersOf(target, nullptr);
    }
    bool expandedRandom = false;
    for (;;) {
      while (!work.empty()) {
        Node *node = work.back();
        work.pop_back();
        result.push_back(node);
        NodeInfo &info = nodes[node];
        for (Value *input : node->inputs()) {
          if (!has(input, mode))
            add(input->node());
          addWritersOf(input, node);
        }
        if (mode == Real && info.mutates) {
          // Whatever reads what this node mutates earlier in the program
          // must read it before the mutation.
          for (size_t i : info.written)
            for (Value *member :
                 aliases.membersOf(aliases.find(node->input(i))))
              for (const Use &use : member->uses())
                if (use.user != node && nodes.count(use.user) &&
                    use.user->isBefore(node))
                  add(use.user);
        }
      }
      if (mode != Real || expandedRandom)
        break;
      // Random operators share one generator: run every one before the last
      // one needed, in program order, as the scripted module would.
      expandedRandom = true;
      Node *last = nullptr;
      for (Node *node : result)
        if (nodes[node].random && (!last || last->isBefore(node)))
          last = node;
      if (!last)
        break;
      for (Node *node : randomNodes)
        if (node->isBefore(last))
          add(node);
    }
    std::sort(result.begin(), result.end(),
              [](Node *a, Node *b) { return a->isBefore(b); });
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
  }

  void evaluate(const std::vector<Value *> &targets, Mode mode) {
    for (Node *node : slice(targets, mode))
      if (!ran(node, mode))
        run(node, mode);
  }

  /// Runs `node` in `mode`. With `checking`, `node` is run on meta values
  /// only to see whether it fails on the sample's metadata: an operation
  /// that has no meta kernel or reads data is left without a value, and a
  /// meta kernel's error is confirmed on real values before it is reported.
  void run(Node *node, Mode mode, bool checking = false) {
    NodeInfo &info = nodes[node];
    if (checking && !metaIsExact(node) && !producesTensorsOnly(node))
      return;
    if (mode == Meta && !checking && !metaIsExact(node)) {
      metaFromReal(node, info);
      return;
    }
    Stack stack = inputStack(node, info, mode);
    bool sized = false; // by a shape function: strides are made up
    try {
      if (runStructural(node, stack)) {
      } else if (mode == Real) {
        runReal(node, info, stack);
      } else {
        sized = runMeta(node, info, stack);
      }
    } catch (const std::exception &e) {
      rethrowIfOutOfMemory(e);
      if (checking && dynamic_cast<const NoMetaKernel *>(&e))
        return; // unknown: the operations that read it are not checked
      if (mode == Meta) {
        // Without a meta kernel, or the meta kernel fails (an error of the
        // sample, or a limit of the meta kernel): the real value decides.
        GRAPH_DEBUG("No metadata for ", node->kind().toQualString(),
                    ", computing it: ", e.what());
        metaFromReal(node, info);
        return;
      }
      // The scripted module stops at the first operation that fails, in
      // program order; decisions compute out of order: run those before.
      runAllReal(node);
      onFailure(node, info.origin, e.what());
      return;
    }
    storeOutputs(node, info, mode, stack, sized);
  }

  /// Gives `node`'s outputs their metadata from their real values.
  void metaFromReal(Node *node, NodeInfo &info) {
    std::vector<Value *> outputs(node->outputs().begin(),
                                 node->outputs().end());
    if (!outputs.empty())
      evaluate(outputs, Real);
    info.ranMeta = true;
  }

  /// The inputs of `node` in `mode`, as its operation takes them: with the
  /// count of a vararg operator's inputs, and a device argument on the meta
  /// device for a meta run.
  Stack inputStack(Node *node, NodeInfo &info, Mode mode) {
    Stack stack;
    stack.reserve(node->inputs().size() + 1);
    for (Value *value : node->inputs())
      stack.push_back(input(value, mode, info.origin ? info.origin : node));
    const FunctionSchema *schema = info.schema;
    if (schema && schema->is_vararg())
      stack.emplace_back(static_cast<int64_t>(node->inputs().size()));
    if (mode == Meta) {
      if (schema) {
        for (size_t i = 0; i < stack.size() && i < schema->arguments().size();
             ++i)
          if (stack[i].isDevice() &&
              isDeviceType(schema->arguments()[i].type()))
            stack[i] = c10::Device(c10::kMeta);
      }
    }
    return stack;
  }

  /// Runs `node`'s operator on the real values on `stack`.
  void runReal(Node *node, NodeInfo &info, Stack &stack) {
    if (!shapeOnlyTensors.empty() && !readsMetadataOnly(node->kind()))
      if (const Value *source = shapeOnlySource(stack))
        throw UnknownValue{source, info.origin ? info.origin : node,
                           /*shapeOnly=*/true};
    // Module memory that the kernel writes is copied first.
    if (attributeCopies.sharesMemory()) {
      const Node *operatorNode = info.origin ? info.origin : node;
      const Operator *op = operatorNode->maybeOperator();
      bool conservative =
          op && op->aliasAnalysisKind() == c10::AliasAnalysisKind::CONSERVATIVE;
      if (conservative) {
        for (const IValue &input : stack)
          attributeCopies.beforeWrite(input);
      } else {
        for (size_t i : info.written)
          attributeCopies.beforeWrite(stack[i]);
      }
    }
    if (pendingThreads > 0) {
      at::set_num_threads(static_cast<int>(pendingThreads));
      pendingThreads = 0;
    }
    // In the grad mode of the process, as the scripted module runs: the
    // results' requires_grad and autograd's errors are the module's.
    operationOf(node, info)(stack);
    for (const IValue &output : stack)
      attributeCopies.noteResult(output);
  }

  /// Runs `node`'s operator on the meta values on `stack`: its meta kernel,
  /// else a shape function (MetaShapes). Returns whether a shape function
  /// sized the outputs (so their strides are made up). Throws NoMetaKernel
  /// when neither knows the outputs.
  bool runMeta(Node *node, NodeInfo &info, Stack &stack) {
    const FunctionSchema *schema = info.schema;
    // The commonest operators by formula (MetaFormulas): no dispatch.
    if (schema && !info.random)
      if (c10::optional<IValue> output = formulas.run(*schema, stack)) {
        stack.clear();
        stack.push_back(std::move(*output));
        ++metadataFormula;
        return false;
      }
    // What a meta kernel gave before on the same metadata (MetaMemo).
    if (schema && !info.random)
      if (c10::optional<Stack> outputs = memo.find(*schema, stack)) {
        stack = std::move(*outputs);
        ++metadataReused;
        return false;
      }
    // Operators without a meta kernel in LibTorch fail each time, and a
    // c10::Error is costly (it symbolizes a backtrace): remember them.
    bool unimplemented = schema && noMetaKernel.count(schema);
    Stack inputs;
    if (!unimplemented) {
      inputs = stack; // the operator consumes its stack
      try {
        operationOf(node, info)(stack);
      } catch (const c10::NotImplementedError &) {
        unimplemented = true;
        if (schema)
          noMetaKernel.insert(schema);
        stack = std::move(inputs);
      }
      // Meta kernels accept dtype mixes that the CPU kernels refuse
      // (mm of a double and a float): confirm a mix on stand-ins.
      if (!unimplemented && !info.random && mixesDtypes(inputs) &&
          !outputDtype(node, info, inputs))
        throw std::runtime_error("the kernel refuses these dtypes");
    }
    if (!unimplemented) {
      ++metadataDispatch;
      if (schema && !info.random)
        memo.remember(*schema, inputs, stack);
      return false;
    }
    // Without a meta kernel: a size formula of MetaShapes, else torch's
    // shape function.
    auto dtypeOf = [&](const Stack &metaInputs) {
      return outputDtype(node, info, metaInputs);
    };
    int64_t formulasBefore = shapeFunctions.sizedByFormula();
    if (!shapeFunctions.run(node, schema, dtypeOf, stack))
      throw NoMetaKernel();
    ++(shapeFunctions.sizedByFormula() > formulasBefore ? metadataFormula
                                                        : metadataDispatch);
    return true;
  }

  /// Stores the results of running `node` in `mode` (on `stack`), and counts
  /// a kernel when it computed a tensor.
  void storeOutputs(Node *node, NodeInfo &info, Mode mode, Stack &stack,
                    bool sized) {
    TORCH_INTERNAL_ASSERT(stack.size() == node->outputs().size());
    bool inexact = sized;
    if (mode == Meta)
      for (Value *input : node->inputs())
        inexact |= values[input].inexactLayout;
    bool kernel = false;
    for (size_t i = 0; i < stack.size(); ++i) {
      ValueInfo &out = values[node->output(i)];
      if (mode == Real || !isMetaOnly(stack[i])) {
        // An undefined tensor from a meta run is exact and computed nothing.
        bool undefined = stack[i].isTensor() && !stack[i].toTensor().defined();
        kernel |= containsTensor(node->output(i)->type()) && !undefined;
        out.real = std::move(stack[i]);
        out.hasReal = true;
        out.hasMeta = false; // made from the real value when asked for
        continue;
      }
      out.meta = std::move(stack[i]);
      out.hasMeta = true;
      out.inexactLayout = inexact;
    }
    if (mode == Real) {
      info.ranReal = true;
      for (Value *input : node->inputs())
        kernel |= isTensorType(input->type());
    }
    info.ranMeta = true;
    if (kernel && !isDataMovement(node->kind()))
      ++*kernelsRun;
  }

  /// The dtype of `node`'s one tensor output for the meta inputs `stack`
  /// (standInOutputDtype), or None.
  c10::optional<at::ScalarType> outputDtype(Node *node, NodeInfo &info,
                                            const Stack &stack) {
    if (info.random)
      return c10::nullopt; // would draw from the generator
    return standInOutputDtype(
        [&](Stack &standIns) { operationOf(node, info)(standIns); }, stack);
  }

  std::unordered_set<const FunctionSchema *> noMetaKernel;

  /// Whether every output of `node` is a tensor (so a meta value stands for
  /// it: the metadata of a random operation's result is exact).
  static bool producesTensorsOnly(Node *node) {
    for (Value *output : node->outputs())
      if (!isTensorType(output->type()))
        return false;
    return !node->outputs().empty();
  }

  /// Runs every emitted node before `end` (all of them if null) that nothing
  /// has run yet on real values, in program order, skipping those that need
  /// what the sample does not give. A failure is reported (onFailure).
  void runAllReal(Node *end = nullptr) {
    for (size_t i = 0; i < order.size() && order[i] != end; ++i) {
      Node *node = order[i];
      if (ran(node, Real))
        continue;
      try {
        std::vector<Value *> targets(node->outputs().begin(),
                                     node->outputs().end());
        if (targets.empty()) {
          evaluate({node->inputs().begin(), node->inputs().end()}, Real);
          if (!ran(node, Real))
            run(node, Real);
        } else {
          evaluate(targets, Real);
        }
      } catch (const UnknownValue &) {
      }
    }
  }

  /// Runs for real, in program order, every emitted in-place node that
  /// nothing has run yet, whose result is not in `live` and that is not in
  /// `kept`: the flat graph drops it, or keeps it for its write only
  /// (torch's liveness does not say which; `kept` names writes it keeps).
  void runDropped(const std::function<bool(const Value *)> &live,
                  const std::unordered_set<const Node *> &kept) {
    for (size_t i = 0; i < order.size(); ++i) {
      Node *node = order[i];
      if (ran(node, Real) || node->outputs().empty() || kept.count(node))
        continue;
      bool used = false, writes = false;
      for (const Value *output : node->outputs())
        used |= live(output);
      if (const FunctionSchema *schema = nodes[node].schema)
        for (const c10::Argument &argument : schema->arguments())
          writes |= argument.alias_info() && argument.alias_info()->isWrite();
      // Only writes: what else fails on the sample, the metadata checks
      // (checkAll) find; a write can fail on memory alone (its source
      // overlaps what it writes), which no meta run shows.
      if (used || !writes)
        continue;
      try {
        evaluate({node->outputs().begin(), node->outputs().end()}, Real);
      } catch (const UnknownValue &) {
      }
    }
  }

  /// Runs every emitted node before `end` (all of them if null) that nothing
  /// has run yet on meta values, in program order.
  void checkAll(Node *end = nullptr) {
    for (Node *node : order) {
      if (node == end)
        break;
      if (ran(node, Meta))
        continue;
      const Node *origin = nodes[node].origin;
      if ((origin ? origin : node)->hasSideEffects())
        continue;
      bool inputsKnown = true;
      for (Value *input : node->inputs())
        inputsKnown &= has(input, Meta);
      if (!inputsKnown)
        continue;
      try {
        run(node, Meta, /*checking=*/true);
      } catch (const UnknownValue &) {
        // Needs values the sample does not give (a shape-only input): what
        // it would raise cannot be known; the flat graph will tell.
      }
    }
  }

  /// Whether running `node` on meta values gives exact results.
  bool metaIsExact(Node *node) {
    if (nodes[node].random)
      return false;
    // The strides of values whose meta strides were made up come from the
    // real values. (aten::view, which fails on some strides, is left to its
    // meta kernel: a shape-only input could not be viewed at all otherwise.)
    static const std::unordered_set<Symbol> readsLayout = {
        aten::stride, Symbol::fromQualString("aten::is_contiguous"),
        Symbol::fromQualString("aten::data_ptr")};
    if (readsLayout.count(node->kind()))
      for (Value *input : node->inputs()) {
        const ValueInfo *info = values.find(input);
        if (info && info->inexactLayout)
          return false;
      }
    bool readsTensor = false;
    for (Value *input : node->inputs())
      readsTensor |= isTensorType(input->type());
    if (!readsTensor)
      return true;
    for (Value *output : node->outputs())
      if (!containsTensor(output->type()) && !readsMetadataOnly(node->kind()))
        return false; // aten::Int, aten::item, aten::equal, ...
    return true;
  }
};

LazyEvaluator::LazyEvaluator(FailureHandler onFailure)
    : state_(std::make_unique<State>(std::move(onFailure))) {
  state_->kernelsRun = &kernelsRun_;
}

LazyEvaluator::~LazyEvaluator() = default;

void LazyEvaluator::setKernelThreads(int64_t threads) {
  state_->pendingThreads = threads;
}

void LazyEvaluator::setKnown(Value *value, c10::IValue sample) {
  State &s = *state_;
  State::ValueInfo &info = s.values[value];
  if (sample.isTensor() && sample.toTensor().defined())
    info.device = sample.toTensor().device();
  // Two arguments may be one tensor, or views of one (torch.save keeps
  // that): a write through one is a write to the other.
  forEachTensor(sample, [&](const at::Tensor &tensor) {
    if (tensor.defined() && tensor.is_meta() && !sample.isTensor())
      s.shapeOnlyTensors.emplace(tensor.unsafeGetTensorImpl(), value);
    if (!tensor.defined() || !tensor.has_storage())
      return;
    auto seen =
        s.storages.emplace(tensor.storage().unsafeGetStorageImpl(), value);
    if (!seen.second)
      s.aliases.unite(seen.first->second, value);
  });
  info.real = std::move(sample);
  info.hasReal = true;
}

void LazyEvaluator::setAttribute(Value *value, c10::IValue original) {
  setKnown(value, std::move(original));
  state_->values[value].attribute = true;
}

int64_t LazyEvaluator::metadataReused() const {
  return state_->metadataReused;
}

int64_t LazyEvaluator::metadataByFormula() const {
  return state_->metadataFormula;
}

int64_t LazyEvaluator::metadataByDispatch() const {
  return state_->metadataDispatch;
}

size_t LazyEvaluator::bytesCopied() const {
  return state_->attributeCopies.bytesCopied();
}

void LazyEvaluator::setShapeOnly(Value *value, c10::IValue metaSample) {
  State::ValueInfo &info = state_->values[value];
  info.meta = std::move(metaSample);
  info.hasMeta = true;
  info.device = c10::kCPU;
}

void LazyEvaluator::setUnknown(Value *value) {
  state_->values[value].unknown = true;
}

void LazyEvaluator::emitted(Node *node, const Node *origin, bool random,
                            const FunctionSchema *schema) {
  State &s = *state_;
  State::NodeInfo &info = s.nodes[node];
  info.origin = origin;
  info.schema = schema;
  info.random = random;
  s.order.push_back(node);
  if (info.random)
    s.randomNodes.push_back(node);

  // Devices: an explicit device argument, else the first tensor input's.
  c10::Device device = c10::kCPU;
  bool found = false;
  for (Value *input : node->inputs()) {
    const State::ValueInfo *info = s.values.find(input);
    if (!info)
      continue;
    if (isDeviceType(input->type()) && info->hasReal &&
        info->real.isDevice()) {
      device = info->real.toDevice();
      found = true;
      break;
    }
  }
  if (!found)
    for (Value *input : node->inputs())
      if (isTensorType(input->type())) {
        device = s.values[input].device;
        break;
      }
  for (Value *output : node->outputs())
    s.values[output].device = device;

  // Aliasing, from the schema where there is one.
  for (size_t i : s.aliases.addNode(node, info.schema)) {
    if (!info.mutates)
      ++writes_;
    info.mutates = true;
    info.written.push_back(i);
  }
}

void LazyEvaluator::checkAll() { state_->checkAll(); }

void LazyEvaluator::runAll() { state_->runAllReal(); }

void LazyEvaluator::runDropped(const std::function<bool(const Value *)> &live,
                               const std::unordered_set<const Node *> &kept) {
  state_->runDropped(live, kept);
}

c10::IValue LazyEvaluator::real(Value *value) {
  state_->evaluate({value}, State::Real);
  return state_->input(value, State::Real);
}

c10::IValue LazyEvaluator::meta(Value *value) {
  state_->evaluate({value}, State::Meta);
  return state_->input(value, State::Meta);
}

bool LazyEvaluator::isKnown(Value *value) const {
  const State::ValueInfo *info = state_->values.find(value);
  return info && info->hasReal && !state_->nodes.count(value->node());
}

c10::Device LazyEvaluator::device(Value *value) {
  const State::ValueInfo *info = state_->values.find(value);
  return info ? info->device : c10::Device(c10::kCPU);
}

} // namespace s2t
