//===- passes/SpecializeControlFlow.cpp - Scripted graph to flat trace ----===//
//
// An abstract interpreter over a scripted graph. Every value of the input graph
// maps to an abstract value (ir/AbstractValue.h): a constant, a value of the
// flat output graph with its sample value, or a structure (list, tuple, dict,
// object) whose elements are abstract values themselves. The walk
//   - inlines prim::CallMethod / prim::CallFunction by walking the callee,
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
// Assumes TorchScript's lowering: early return, break and continue are already
// prim::If nodes feeding the loop condition, so deciding If and Loop suffices.
//
//===----------------------------------------------------------------------===//

#include "passes/SpecializeControlFlow.h"

#include "ir/AbstractValue.h"
#include "ir/Error.h"
#include "ir/OperatorLibraries.h"
#include "ir/SourceLocation.h"
#include "passes/LazyEvaluator.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/runtime/operator.h>

#include <unordered_map>

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

namespace {

bool containsTensorOrObject(const TypePtr &type) {
  if (type->kind() == TypeKind::TensorType ||
      type->kind() == TypeKind::ClassType ||
      type->kind() == TypeKind::InterfaceType ||
      type->kind() == TypeKind::AnyType)
    return true;
  for (const TypePtr &contained : type->containedTypes())
    if (containsTensorOrObject(contained))
      return true;
  return false;
}

/// Operations that read a tensor's metadata and never its values. Their
/// result is baked into the flat graph as a trace does (aten::size stays).
bool isMetadataQuery(const Node *node) {
  static const std::unordered_set<Symbol> kinds = [] {
    std::unordered_set<Symbol> result;
    for (const char *name :
         {"prim::dtype", "prim::device", "aten::dim", "prim::is_cuda",
          "prim::layout", "prim::requires_grad", "aten::is_floating_point",
          "aten::is_complex", "prim::is_sparse", "prim::is_sparse_csr",
          "prim::is_quantized", "prim::is_mkldnn", "prim::is_meta",
          "prim::is_xpu", "prim::is_vulkan", "prim::is_ipu", "prim::is_mps",
          "prim::is_ort", "prim::is_nested", "prim::name"})
      result.insert(Symbol::fromQualString(name));
    return result;
  }();
  return kinds.count(node->kind()) != 0;
}

/// Python's `<` on ints, floats, bools and strings.
bool lessThan(const IValue &a, const IValue &b) {
  if (a.isString() && b.isString())
    return a.toStringRef() < b.toStringRef();
  auto number = [](const IValue &v) {
    return v.isDouble() ? v.toDouble()
           : v.isBool() ? static_cast<double>(v.toBool())
                        : static_cast<double>(v.toInt());
  };
  if (a.isInt() && b.isInt())
    return a.toInt() < b.toInt();
  return number(a) < number(b);
}

AV withDep(AV av, DecisionCategory dep) {
  av.dep = std::max(av.dep, dep);
  return av;
}

bool isDeviceQuery(Symbol kind) {
  return kind == prim::device || kind == prim::is_cuda ||
         kind == Symbol::fromQualString("prim::is_meta");
}

/// Operations that read sizes: kept in the flat graph so that they stay
/// dynamic, but what they return depends on the shape only.
bool isShapeRead(const Node *node) {
  static const Symbol numel = Symbol::fromQualString("aten::numel");
  static const Symbol symSize = Symbol::fromQualString("aten::sym_size");
  return node->kind() == aten::size || node->kind() == numel ||
         node->kind() == symSize ||
         (node->kind() == aten::len && node->inputs().size() == 1 &&
          node->input(0)->type()->kind() == TypeKind::TensorType);
}

bool writesArgument(const Node *node, size_t index) {
  const FunctionSchema *schema = node->maybeSchema();
  if (!schema || index >= schema->arguments().size())
    return false;
  const c10::AliasInfo *alias = schema->arguments()[index].alias_info();
  return alias && alias->isWrite();
}

class Specializer {
public:
  Specializer(const SpecializeOptions &options)
      : options_(options), out_(std::make_shared<Graph>()),
        evaluator_([](const Node *flat, const Node *origin,
                      const std::string &message) {
          conversionError(sourceLocation(origin ? origin : flat) +
                          ": running " + flat->kind().toQualString() +
                          " on the sample failed: " +
                          firstMessageLine(message));
        }) {}

  SpecializeResult run(const Graph &graph, const std::vector<IValue> &inputs);

private:
  // --- walking -------------------------------------------------------------
  std::vector<AV> walkGraph(const Graph &graph, std::vector<AV> inputs);
  std::vector<AV> walkBlock(const Block *block);
  void walkNode(const Node *node);
  void dispatchNode(const Node *node);
  void walkIf(const Node *node);
  void walkLoop(const Node *node);
  void walkCall(const Node *node, const Graph &callee,
                std::vector<AV> calleeInputs);
  void walkGetAttr(const Node *node);
  void walkSetAttr(const Node *node);
  void walkRaise(const Node *node);
  bool walkStructural(const Node *node);
  void walkGeneric(const Node *node);

  // --- values --------------------------------------------------------------
  const AV &lookup(const Value *value) const;
  void bind(const Value *value, AV av) { env_[value] = std::move(av); }
  AV fromIValue(const IValue &value, DecisionCategory dep);
  AV graphValue(Value *value, DecisionCategory dep);

  /// The sample value of `av` (structures are built as IValues) with tensors
  /// of the flat graph on the meta device: exact except for tensor data.
  IValue concrete(const AV &av);
  /// `av` as a value of the flat graph, emitting what builds it.
  Value *materialize(const AV &av, const TypePtr &expected);
  /// A value a decision needs, recorded with its category.
  IValue decide(const AV &av, const Node *at);
  int64_t decideInt(const AV &av, const Node *at);
  bool decideBool(const AV &av, const Node *at);

  /// `av` as a list/tuple/dict structure, unpacking a flat-graph value with
  /// prim::ListUnpack / prim::TupleUnpack where needed.
  std::shared_ptr<Aggregate> asAggregate(const AV &av, const Node *at);

  /// Appends `node` to the flat graph with the source range of `source`; its
  /// sample value is computed, when needed, with `operatorOf`'s operator (by
  /// default the node's own).
  Node *emit(Node *node, const Node *source,
             const Node *operatorOf = nullptr);
  /// Runs `node`'s operator on sample values.
  std::vector<IValue> runOperation(const Node *node, std::vector<IValue> inputs);
  [[noreturn]] void unsupported(const Node *node, const std::string &why);

  DecisionCategory pathDep() const { return pathDep_; }
  void record(Decision::Kind kind, DecisionCategory category, const Node *node,
              int64_t outcome);

  const SpecializeOptions &options_;
  std::shared_ptr<Graph> out_;
  LazyEvaluator evaluator_;
  std::unordered_map<const Value *, AV> env_;
  /// prim::SetAttr writes and the first read of each attribute, per object, so
  /// that structures read from attributes keep their identity.
  std::unordered_map<const c10::ivalue::Object *,
                     std::unordered_map<std::string, AV>>
      attributes_;
  /// Flat-graph values of module objects (self, GetAttr chains).
  std::unordered_map<const c10::ivalue::Object *, Value *> moduleValues_;
  std::unordered_map<const c10::ivalue::Object *,
                     std::pair<c10::intrusive_ptr<c10::ivalue::Object>,
                               std::string>>
      moduleParents_;
  /// Flat-graph lists and tuples already unpacked into structures.
  std::unordered_map<const Value *, std::shared_ptr<Aggregate>> unpacked_;
  std::unordered_map<const Node *, Operation> operations_;
  DecisionCategory pathDep_ = DecisionCategory::Constant;
  const Node *current_ = nullptr; ///< the node being walked, for messages
  int64_t nodesEmitted_ = 0;
  int depth_ = 0;
  SpecializeResult result_;
};

// ===--- values ---------------------------------------------------------=== //

const AV &Specializer::lookup(const Value *value) const {
  auto it = env_.find(value);
  TORCH_INTERNAL_ASSERT(it != env_.end(), "no abstract value for %",
                        value->debugName());
  return it->second;
}

AV Specializer::fromIValue(const IValue &value, DecisionCategory dep) {
  if (value.isList()) {
    auto agg = std::make_shared<Aggregate>(Aggregate::List, value.type());
    for (const IValue &element : value.toListRef())
      agg->elements.push_back(fromIValue(element, dep));
    agg->dep = dep;
    return AV::aggregate(std::move(agg), dep);
  }
  if (value.isTuple()) {
    auto agg = std::make_shared<Aggregate>(Aggregate::Tuple, value.type());
    for (const IValue &element : value.toTupleRef().elements())
      agg->elements.push_back(fromIValue(element, dep));
    agg->dep = dep;
    return AV::aggregate(std::move(agg), dep);
  }
  if (value.isGenericDict()) {
    auto agg = std::make_shared<Aggregate>(Aggregate::Dict, value.type());
    for (const auto &entry : value.toGenericDict()) {
      agg->keys.push_back(entry.key());
      agg->elements.push_back(fromIValue(entry.value(), dep));
    }
    agg->dep = dep;
    return AV::aggregate(std::move(agg), dep);
  }
  if (value.isObject())
    return AV::object(value, dep);
  return AV::constant(value, dep);
}

AV Specializer::graphValue(Value *value, DecisionCategory dep) {
  return AV::graph(value, IValue(), dep);
}

IValue Specializer::concrete(const AV &av) {
  switch (av.kind) {
  case AV::Constant:
  case AV::Object:
    return av.value;
  case AV::Graph: {
    auto unpacked = unpacked_.find(av.graphValue);
    if (unpacked != unpacked_.end())
      return concrete(AV::aggregate(unpacked->second, av.dep));
    return evaluator_.meta(av.graphValue);
  }
  case AV::Uninitialized:
    return IValue();
  case AV::Aggregate:
    break;
  }
  const Aggregate &agg = *av.agg;
  switch (agg.kind) {
  case Aggregate::List: {
    c10::impl::GenericList list(agg.type->expectRef<ListType>().getElementType());
    list.reserve(agg.elements.size());
    for (const AV &element : agg.elements)
      list.push_back(concrete(element));
    return list;
  }
  case Aggregate::Tuple: {
    std::vector<IValue> elements;
    elements.reserve(agg.elements.size());
    for (const AV &element : agg.elements)
      elements.push_back(concrete(element));
    auto tupleType = agg.type->cast<TupleType>();
    if (tupleType && tupleType->schema())
      return c10::ivalue::Tuple::createNamed(std::move(elements), tupleType);
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  case Aggregate::Dict: {
    const auto &dictType = agg.type->expectRef<DictType>();
    c10::impl::GenericDict dict(dictType.getKeyType(),
                                dictType.getValueType());
    for (size_t i = 0; i < agg.keys.size(); ++i)
      dict.insert_or_assign(agg.keys[i], concrete(agg.elements[i]));
    return dict;
  }
  }
  TORCH_INTERNAL_ASSERT(false, "unknown aggregate kind");
}

Value *Specializer::materialize(const AV &av, const TypePtr &expected) {
  switch (av.kind) {
  case AV::Graph: {
    // A list or dict of the flat graph that was mutated as a structure.
    auto unpacked = unpacked_.find(av.graphValue);
    if (unpacked != unpacked_.end())
      return materialize(AV::aggregate(unpacked->second, av.dep), expected);
    return av.graphValue;
  }
  case AV::Uninitialized: {
    Value *value =
        out_->insertNode(out_->createUninitialized(expected))->output();
    evaluator_.setKnown(value, IValue());
    return value;
  }
  case AV::Constant: {
    IValue value = av.value;
    if (value.isTensor() && value.toTensor().defined() &&
        value.toTensor().requires_grad())
      value = value.toTensor().detach(); // a trace's constants are detached
    if (value.isTensor() && !value.toTensor().defined()) {
      Value *none = out_->insertNode(out_->createNone())->output();
      evaluator_.setKnown(none, IValue());
      return none;
    }
    if (auto constant = tryInsertConstant(*out_, value)) {
      evaluator_.setKnown(*constant, value);
      return *constant;
    }
    unsupported(current_, "cannot put a constant of type " +
                              value.type()->annotation_str() +
                              " into the flat graph");
  }
  case AV::Object: {
    auto object = av.value.toObject();
    auto known = moduleValues_.find(object.get());
    if (known != moduleValues_.end())
      return known->second;
    auto parent = moduleParents_.find(object.get());
    if (parent == moduleParents_.end())
      unsupported(current_, "an object of type " +
                                object->type()->name()->qualifiedName() +
                                " reaches an operation of the flat graph");
    Value *parentValue =
        materialize(AV::object(parent->second.first, DecisionCategory::Constant),
                    parent->second.first->type());
    Value *value = out_->insertGetAttr(parentValue, parent->second.second);
    value->setType(object->type());
    evaluator_.setKnown(value, av.value);
    moduleValues_[object.get()] = value;
    return value;
  }
  case AV::Aggregate:
    break;
  }
  Aggregate &agg = *av.agg;
  // Reuse the value built for an earlier consumer only while it is still
  // what the structure holds, and only if nothing in the flat graph can have
  // written to its elements since: torch's executor merges two reads of one
  // list across such a write (test/differential/regressions.py).
  if (agg.materialized && agg.materializedVersion == agg.version &&
      agg.materializedAt == evaluator_.writes())
    return agg.materialized;
  std::vector<Value *> elements;
  elements.reserve(agg.elements.size());
  Value *result = nullptr;
  switch (agg.kind) {
  case Aggregate::List: {
    TypePtr elementType = agg.type->expectRef<ListType>().getElementType();
    bool allConstant = true;
    for (const AV &element : agg.elements)
      allConstant &= element.kind == AV::Constant &&
                     !element.value.isTensor();
    if (allConstant && !agg.elements.empty()) {
      IValue list = concrete(av);
      if (auto constant = tryInsertConstant(*out_, list)) {
        evaluator_.setKnown(*constant, list);
        result = *constant;
        break;
      }
    }
    for (const AV &element : agg.elements)
      elements.push_back(materialize(element, elementType));
    result = emit(out_->createList(elementType, elements), nullptr)->output();
    break;
  }
  case Aggregate::Tuple: {
    auto tupleType = agg.type->cast<TupleType>();
    for (size_t i = 0; i < agg.elements.size(); ++i)
      elements.push_back(materialize(
          agg.elements[i], tupleType ? tupleType->elements().at(i)
                                     : agg.elements[i].staticType()));
    result = emit(out_->createTuple(elements, tupleType && tupleType->schema()
                                                  ? tupleType
                                                  : nullptr),
                  nullptr)
                 ->output();
    break;
  }
  case Aggregate::Dict: {
    const auto &dictType = agg.type->expectRef<DictType>();
    std::vector<Value *> keys;
    for (size_t i = 0; i < agg.keys.size(); ++i) {
      keys.push_back(materialize(AV::constant(agg.keys[i], agg.dep),
                                 dictType.getKeyType()));
      elements.push_back(
          materialize(agg.elements[i], dictType.getValueType()));
    }
    result = emit(out_->createDict(dictType.getKeyType(),
                                   dictType.getValueType(), keys, elements),
                  nullptr)
                 ->output();
    break;
  }
  }
  agg.materialized = result;
  agg.materializedVersion = agg.version;
  agg.materializedAt = evaluator_.writes();
  return result;
}

void Specializer::record(Decision::Kind kind, DecisionCategory category,
                         const Node *node, int64_t outcome) {
  result_.decisions.push_back({kind, category, node, outcome});
}

IValue Specializer::decide(const AV &av, const Node *at) {
  if (av.kind == AV::Uninitialized)
    unsupported(at, "a decision reads an uninitialized value");
  return concrete(av);
}

int64_t Specializer::decideInt(const AV &av, const Node *at) {
  IValue value = decide(av, at);
  if (!value.isInt())
    unsupported(at, "expected an int, got " + value.tagKind());
  return value.toInt();
}

bool Specializer::decideBool(const AV &av, const Node *at) {
  IValue value = decide(av, at);
  if (!value.isBool())
    unsupported(at, "expected a bool, got " + value.tagKind());
  return value.toBool();
}

std::shared_ptr<Aggregate> Specializer::asAggregate(const AV &av,
                                                    const Node *at) {
  if (av.kind == AV::Aggregate)
    return av.agg;
  if (av.kind != AV::Graph)
    unsupported(at, "expected a list, tuple or dict, got " +
                        concrete(av).tagKind());
  auto known = unpacked_.find(av.graphValue);
  if (known != unpacked_.end())
    return known->second;
  // A list or tuple computed by an operation of the flat graph: unpack it into
  // its elements, as a trace records prim::ListUnpack.
  Value *value = av.graphValue;
  IValue sample = evaluator_.meta(value);
  std::shared_ptr<Aggregate> agg;
  if (sample.isList()) {
    auto elementType = value->type()->expectRef<ListType>().getElementType();
    size_t size = sample.toListRef().size();
    Node *unpack = emit(out_->createListUnpack(value, size), at);
    agg = std::make_shared<Aggregate>(Aggregate::List, value->type());
    for (size_t i = 0; i < size; ++i) {
      unpack->output(i)->setType(elementType);
      agg->elements.push_back(graphValue(unpack->output(i), av.dep));
    }
  } else if (sample.isTuple()) {
    Node *unpack = emit(out_->createTupleUnpack(value), at);
    agg = std::make_shared<Aggregate>(Aggregate::Tuple, value->type());
    for (Value *element : unpack->outputs())
      agg->elements.push_back(graphValue(element, av.dep));
  } else if (sample.isGenericDict()) {
    auto dictType = value->type()->expect<DictType>();
    agg = std::make_shared<Aggregate>(Aggregate::Dict, value->type());
    for (const auto &entry : sample.toGenericDict()) {
      Value *key = materialize(AV::constant(entry.key(), av.dep),
                               dictType->getKeyType());
      Node *get = out_->create(aten::__getitem__, {value, key});
      get->output()->setType(dictType->getValueType());
      emit(get, at);
      agg->keys.push_back(entry.key());
      agg->elements.push_back(graphValue(get->output(), av.dep));
    }
  } else {
    unsupported(at, "expected a list, tuple or dict, got " +
                        sample.tagKind());
  }
  // Its length depends on shapes at most, whatever its elements hold.
  agg->dep = std::min(av.dep, DecisionCategory::Shape);
  agg->materialized = value;
  agg->materializedVersion = agg->version;
  agg->materializedAt = evaluator_.writes();
  unpacked_[value] = agg;
  return agg;
}

Node *Specializer::emit(Node *node, const Node *source,
                        const Node *operatorOf) {
  if (source) {
    node->setSourceRange(source->sourceRange());
    if (source->callstack())
      node->setCallStack(*source->callstack());
  }
  if (++nodesEmitted_ > options_.maxNodes)
    conversionError(sourceLocation(source ? source : current_) +
                    ": the flat graph exceeds --max-nodes=" +
                    std::to_string(options_.maxNodes) + " operations");
  out_->insertNode(node);
  evaluator_.emitted(node, operatorOf);
  return node;
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
    conversionError(sourceLocation(node) + ": running " +
                    node->kind().toQualString() +
                    " on the sample failed: " + firstMessageLine(e.what()));
  }
  TORCH_INTERNAL_ASSERT(stack.size() == node->outputs().size());
  return stack;
}

void Specializer::unsupported(const Node *node, const std::string &why) {
  conversionError(sourceLocation(node) + ": unsupported: " +
                  node->kind().toQualString() + ": " + why);
}

// ===--- walking --------------------------------------------------------=== //

SpecializeResult Specializer::run(const Graph &graph,
                                  const std::vector<IValue> &inputs) {
  if (inputs.size() != graph.inputs().size())
    usageError("the graph takes " + std::to_string(graph.inputs().size()) +
               " inputs, got " + std::to_string(inputs.size()) + " samples");
  std::vector<AV> abstractInputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value *input = graph.inputs()[i];
    Value *flatInput = out_->addInput()->copyMetadata(const_cast<Value *>(input));
    const IValue &sample = inputs[i];
    evaluator_.setKnown(flatInput, sample);
    if (sample.isObject()) {
      moduleValues_[sample.toObject().get()] = flatInput;
      abstractInputs.push_back(AV::object(sample, DecisionCategory::Constant));
      continue;
    }
    if (sample.isNone()) {
      abstractInputs.push_back(AV::constant(sample, DecisionCategory::Shape));
      continue;
    }
    Value *bound = flatInput;
    if (auto optional = input->type()->cast<OptionalType>()) {
      // A sample given for an Optional argument: refine, as the scripted
      // graph's prim::unchecked_cast after its `is not None` check does.
      bound = out_->insertNode(out_->create(prim::unchecked_cast, {flatInput}))
                  ->output()
                  ->setType(optional->getElementType());
      evaluator_.setKnown(bound, sample);
    }
    DecisionCategory dep = sample.isTensor() || sample.isList() ||
                                   sample.isTuple() || sample.isGenericDict()
                               ? DecisionCategory::Data
                               : DecisionCategory::Shape;
    abstractInputs.push_back(graphValue(bound, dep));
  }

  std::vector<AV> outputs = walkGraph(graph, std::move(abstractInputs));
  for (size_t i = 0; i < outputs.size(); ++i)
    out_->registerOutput(materialize(outputs[i], graph.outputs()[i]->type()));
  result_.graph = out_;
  result_.kernelsRun = evaluator_.kernelsRun();
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
  // the stack.
  constexpr int kMaxNesting = 1000;
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
    unsupported(node, "malformed node (torch: " +
                          firstMessageLine(e.what_without_backtrace()) + ")");
  } catch (const std::exception &e) {
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
         fromIValue(*toIValue(node->output()), DecisionCategory::Constant));
    return;
  case prim::If:
    return walkIf(node);
  case prim::Loop:
    return walkLoop(node);
  case prim::CallMethod: {
    const AV &self = lookup(node->input(0));
    if (self.kind != AV::Object)
      unsupported(node, "method call on a value that is not an object");
    auto object = self.value.toObject();
    Function *method = object->type()->findMethod(node->s(attr::name));
    if (!method)
      unsupported(node, "object of type " + object->type()->repr_str() +
                            " has no method " + node->s(attr::name));
    std::vector<AV> args;
    for (const Value *input : node->inputs())
      args.push_back(lookup(input));
    return walkCall(node, *toGraphFunction(*method).graph(), std::move(args));
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
  case prim::RaiseException:
    return walkRaise(node);
  case aten::warn:
    return; // a trace records no warnings
  case prim::Enter: // `with` blocks (torch.no_grad()): a trace records neither
    bind(node->output(), lookup(node->input()));
    return;
  case prim::Exit:
    for (const Value *output : node->outputs())
      bind(output, AV::constant(IValue(), DecisionCategory::Constant));
    return;
  default:
    break;
  }
  if (walkStructural(node))
    return;
  walkGeneric(node);
}

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
  bool taken = decideBool(condition, node);
  record(Decision::If, condition.dep, node, taken ? 0 : 1);
  GRAPH_UPDATE("Deciding prim::If at ", sourceLocation(node), ": ",
               taken ? "then" : "else", " (", toString(condition.dep), ")");
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
  int64_t maxTrips = decideInt(tripCount, node);
  AV condition = lookup(node->input(1));
  std::vector<AV> carried;
  for (const Value *input : node->inputs().slice(2))
    carried.push_back(lookup(input));

  DecisionCategory saved = pathDep_;
  DecisionCategory dep = std::max(tripCount.dep, condition.dep);
  int64_t trip = 0;
  while (trip < maxTrips) {
    dep = std::max(dep, condition.dep);
    if (!decideBool(condition, node))
      break;
    if (++result_.iterationsUnrolled > options_.maxUnroll)
      conversionError(sourceLocation(node) +
                      ": loop unrolling exceeds --max-unroll=" +
                      std::to_string(options_.maxUnroll) +
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
  record(Decision::Loop, dep, node, trip);
  GRAPH_UPDATE("Unrolled prim::Loop at ", sourceLocation(node), ": ", trip,
               " iterations (", toString(dep), ")");
  for (size_t i = 0; i < carried.size(); ++i)
    bind(node->outputs()[i], withDep(std::move(carried[i]), dep));
}

void Specializer::walkCall(const Node *node, const Graph &callee,
                           std::vector<AV> calleeInputs) {
  ++result_.callsInlined;
  std::vector<AV> outputs = walkGraph(callee, std::move(calleeInputs));
  for (size_t i = 0; i < outputs.size(); ++i)
    bind(node->outputs()[i], std::move(outputs[i]));
}

void Specializer::walkGetAttr(const Node *node) {
  const AV &object = lookup(node->input());
  const std::string &name = node->s(attr::name);
  if (object.kind != AV::Object)
    unsupported(node, "attribute '" + name + "' of a value that is not an object");
  auto instance = object.value.toObject();
  auto &attributes = attributes_[instance.get()];
  auto known = attributes.find(name);
  if (known != attributes.end()) {
    bind(node->output(), known->second);
    return;
  }
  IValue value = instance->getAttr(name);
  bool isModule = instance->type()->is_module();
  AV av;
  if (value.isObject()) {
    av = AV::object(value, object.dep);
    if (isModule)
      moduleParents_.emplace(value.toObject().get(),
                             std::make_pair(instance, name));
  } else if (isModule && (value.isTensor() ||
                          containsTensorOrObject(value.type()))) {
    // Parameters and buffers stay attributes of the module, as in a trace.
    Value *flat = out_->insertGetAttr(materialize(object, instance->type()), name);
    flat->setType(node->output()->type());
    flat->node()->setSourceRange(node->sourceRange());
    evaluator_.setKnown(flat, value);
    av = graphValue(flat, object.dep);
  } else {
    av = fromIValue(value, object.dep);
  }
  attributes.emplace(name, av);
  bind(node->output(), std::move(av));
}

void Specializer::walkSetAttr(const Node *node) {
  const AV &object = lookup(node->input(0));
  if (object.kind != AV::Object)
    unsupported(node, "attribute write on a value that is not an object");
  attributes_[object.value.toObject().get()][node->s(attr::name)] =
      lookup(node->input(1));
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
  conversionError(sourceLocation(node) + ": the sample's path raises " + kind +
                  ": " + message);
}

// ===--- structures -----------------------------------------------------=== //

namespace {
bool isListOrDict(const Value *value) {
  TypeKind kind = value->type()->kind();
  return kind == TypeKind::ListType || kind == TypeKind::DictType;
}

/// Python's list index normalisation; -1 if out of range.
int64_t normalizeIndex(int64_t index, size_t size) {
  if (index < 0)
    index += static_cast<int64_t>(size);
  if (index < 0 || index >= static_cast<int64_t>(size))
    return -1;
  return index;
}

} // namespace

bool Specializer::walkStructural(const Node *node) {
  auto in = [&](size_t i) -> const AV & { return lookup(node->input(i)); };
  auto out = [&](AV av) { bind(node->output(), std::move(av)); };
  auto newAggregate = [&](Aggregate::Kind kind) {
    auto agg = std::make_shared<Aggregate>(kind, node->output()->type());
    agg->dep = pathDep_;
    return agg;
  };

  switch (node->kind()) {
  case prim::ListConstruct:
  case prim::TupleConstruct: {
    auto agg = newAggregate(node->kind() == prim::ListConstruct
                                ? Aggregate::List
                                : Aggregate::Tuple);
    for (const Value *input : node->inputs())
      agg->elements.push_back(lookup(input));
    out(AV::aggregate(std::move(agg), DecisionCategory::Constant));
    return true;
  }
  case prim::DictConstruct: {
    auto agg = newAggregate(Aggregate::Dict);
    for (size_t i = 0; i + 1 < node->inputs().size(); i += 2) {
      IValue key = decide(in(i), node);
      int64_t at = agg->find(key);
      if (at >= 0) {
        agg->elements[at] = in(i + 1);
        continue;
      }
      agg->keys.push_back(key);
      agg->elements.push_back(in(i + 1));
    }
    out(AV::aggregate(std::move(agg), DecisionCategory::Constant));
    return true;
  }
  case prim::ListUnpack:
  case prim::TupleUnpack: {
    auto agg = asAggregate(in(0), node);
    if (agg->elements.size() != node->outputs().size())
      unsupported(node, "unpacks " + std::to_string(node->outputs().size()) +
                            " values from a structure of " +
                            std::to_string(agg->elements.size()));
    for (size_t i = 0; i < node->outputs().size(); ++i)
      bind(node->outputs()[i], withDep(agg->elements[i], agg->dep));
    return true;
  }
  case prim::TupleIndex: {
    auto agg = asAggregate(in(0), node);
    int64_t index =
        normalizeIndex(decideInt(in(1), node), agg->elements.size());
    if (index < 0)
      unsupported(node, "tuple index out of range");
    out(withDep(agg->elements[index], in(1).dep));
    return true;
  }
  case prim::TupleSlice: {
    auto agg = asAggregate(in(0), node);
    auto slice = newAggregate(Aggregate::Tuple);
    int64_t begin = node->i(attr::beg), end = node->i(attr::end);
    for (int64_t i = begin; i < end && i < (int64_t)agg->elements.size(); ++i)
      slice->elements.push_back(agg->elements[i]);
    out(AV::aggregate(std::move(slice), agg->dep));
    return true;
  }
  case prim::Uninitialized:
    out(AV());
    return true;
  case aten::dict: {
    // dict() and OrderedDict(), empty or from (key, value) pairs.
    if (node->inputs().size() > 1)
      return false;
    auto agg = newAggregate(Aggregate::Dict);
    if (node->inputs().size() == 1) {
      if (node->input(0)->type()->kind() != TypeKind::ListType)
        return false;
      for (const AV &pair : asAggregate(in(0), node)->elements) {
        auto entry = asAggregate(pair, node);
        if (entry->elements.size() != 2)
          return false;
        IValue key = decide(entry->elements[0], node);
        int64_t at = agg->find(key);
        if (at >= 0) {
          agg->elements[at] = entry->elements[1];
        } else {
          agg->keys.push_back(key);
          agg->elements.push_back(entry->elements[1]);
        }
      }
    }
    out(AV::aggregate(std::move(agg), DecisionCategory::Constant));
    return true;
  }
  case prim::CreateObject: {
    auto type = node->output()->type()->expect<ClassType>();
    auto object = c10::ivalue::Object::create(
        c10::StrongTypePtr(type->compilation_unit(), type),
        type->numAttributes());
    out(AV::object(object, pathDep_));
    return true;
  }
  case prim::unchecked_cast:
  case prim::unchecked_unwrap_optional:
  case aten::_unwrap_optional: {
    const AV &value = in(0);
    if (value.isNone() && node->kind() != prim::unchecked_cast)
      unsupported(node, "unwraps an Optional that is None on the sample");
    if (value.kind == AV::Graph &&
        !value.graphValue->type()->isSubtypeOf(*node->output()->type())) {
      Node *cast = out_->create(prim::unchecked_cast, {value.graphValue});
      cast->output()->setType(node->output()->type());
      emit(cast, node);
      out(graphValue(cast->output(), value.dep));
      return true;
    }
    out(value);
    return true;
  }
  case aten::__is__:
  case aten::__isnot__: {
    const AV &a = in(0), &b = in(1);
    bool negate = node->kind() == aten::__isnot__;
    if (a.isNone() || b.isNone()) {
      const AV &other = a.isNone() ? b : a;
      bool isNone = other.isNone() ||
                    (other.kind == AV::Graph && concrete(other).isNone());
      DecisionCategory dep =
          std::min(std::max(a.dep, b.dep), DecisionCategory::Shape);
      out(AV::constant(IValue(isNone != negate), dep));
      return true;
    }
    if (a.kind == AV::Object && b.kind == AV::Object) {
      bool same = a.value.isSameIdentity(b.value);
      out(AV::constant(IValue(same != negate), DecisionCategory::Constant));
      return true;
    }
    if (a.kind == AV::Graph && b.kind == AV::Graph) {
      // `q is k` on tensors: the same value of the flat graph, or two
      // arguments given the same sample object.
      bool same = a.graphValue == b.graphValue ||
                  (evaluator_.isKnown(a.graphValue) &&
                   evaluator_.isKnown(b.graphValue) &&
                   evaluator_.real(a.graphValue)
                       .isSameIdentity(evaluator_.real(b.graphValue)));
      out(AV::constant(IValue(same != negate),
                       std::min(std::max(a.dep, b.dep),
                                DecisionCategory::Shape)));
      return true;
    }
    return false;
  }
  case prim::isinstance: {
    const AV &value = in(0);
    TypePtr type = value.kind == AV::Graph ? concrete(value).type()
                                           : value.staticType();
    bool matches = false;
    for (const TypePtr &candidate : node->tys(attr::types))
      matches |= type->isSubtypeOf(*candidate);
    out(AV::constant(IValue(matches),
                     std::min(value.dep, DecisionCategory::Shape)));
    return true;
  }
  case aten::size: {
    // x.size() with no dim: one aten::size(x, i) per dimension, so that a
    // trace-like graph keeps each dimension dynamic where it is used.
    if (node->inputs().size() != 1)
      return false;
    const AV &tensor = in(0);
    if (tensor.kind != AV::Graph)
      return false;
    IValue sample = concrete(tensor);
    if (!sample.isTensor())
      return false;
    auto agg = newAggregate(Aggregate::List);
    agg->dep = DecisionCategory::Shape;
    DecisionCategory dep = std::min(tensor.dep, DecisionCategory::Shape);
    for (int64_t dim = 0; dim < sample.toTensor().dim(); ++dim) {
      Node *size = out_->create(
          aten::size,
          {tensor.graphValue,
           materialize(AV::constant(dim, DecisionCategory::Constant),
                       IntType::get())});
      size->output()->setType(IntType::get());
      emit(size, node);
      agg->elements.push_back(graphValue(size->output(), dep));
    }
    out(AV::aggregate(std::move(agg), dep));
    return true;
  }
  default:
    break;
  }

  // Operations on lists and dicts (not on strings or tensors of the same name).
  if (node->inputs().empty() || !isListOrDict(node->input(0)))
    return false;
  static const Symbol extend = Symbol::fromQualString("aten::extend");
  static const Symbol reverse = Symbol::fromQualString("aten::reverse");
  static const Symbol items = Symbol::fromQualString("aten::items");
  static const Symbol get = Symbol::fromQualString("aten::get");
  static const Symbol sorted = Symbol::fromQualString("aten::sorted");
  static const Symbol update = Symbol::fromQualString("aten::update");
  static const Symbol delitem = Symbol::fromQualString("aten::Delete");
  const Symbol kind = node->kind();
  bool isDict = node->input(0)->type()->kind() == TypeKind::DictType;

  if (kind == aten::len) {
    auto agg = asAggregate(in(0), node);
    out(AV::constant(IValue(static_cast<int64_t>(agg->elements.size())),
                     agg->dep));
    return true;
  }
  if (kind == aten::__getitem__) {
    auto agg = asAggregate(in(0), node);
    if (isDict) {
      int64_t at = agg->find(decide(in(1), node));
      if (at < 0)
        unsupported(node, "key not found in dict on the sample");
      out(withDep(agg->elements[at], in(1).dep));
      return true;
    }
    int64_t index =
        normalizeIndex(decideInt(in(1), node), agg->elements.size());
    if (index < 0)
      unsupported(node, "list index out of range on the sample");
    out(withDep(agg->elements[index], std::max(agg->dep, in(1).dep)));
    return true;
  }
  if (kind == aten::_set_item) {
    auto agg = asAggregate(in(0), node);
    if (isDict) {
      IValue key = decide(in(1), node);
      int64_t at = agg->find(key);
      if (at < 0) {
        agg->keys.push_back(key);
        agg->elements.push_back(in(2));
      } else {
        agg->elements[at] = in(2);
      }
    } else {
      int64_t index =
          normalizeIndex(decideInt(in(1), node), agg->elements.size());
      if (index < 0)
        unsupported(node, "list index out of range on the sample");
      agg->elements[index] = in(2);
    }
    agg->mutated(pathDep_);
    if (node->outputs().size() == 1)
      out(in(0));
    return true;
  }
  if (kind == aten::append) {
    auto agg = asAggregate(in(0), node);
    agg->elements.push_back(in(1));
    agg->mutated(pathDep_);
    out(in(0));
    return true;
  }
  if (kind == aten::insert && !isDict) {
    auto agg = asAggregate(in(0), node);
    int64_t size = agg->elements.size();
    int64_t index = decideInt(in(1), node);
    if (index < 0)
      index = std::max<int64_t>(0, index + size);
    index = std::min(index, size);
    agg->elements.insert(agg->elements.begin() + index, in(2));
    agg->mutated(pathDep_);
    return true;
  }
  if (kind == aten::pop) {
    auto agg = asAggregate(in(0), node);
    if (isDict) {
      int64_t at = agg->find(decide(in(1), node));
      if (at < 0) {
        if (node->inputs().size() < 3)
          unsupported(node, "key not found in dict on the sample");
        out(in(2));
        return true;
      }
      out(agg->elements[at]);
      agg->elements.erase(agg->elements.begin() + at);
      agg->keys.erase(agg->keys.begin() + at);
    } else {
      int64_t index = node->inputs().size() > 1 ? decideInt(in(1), node) : -1;
      index = normalizeIndex(index, agg->elements.size());
      if (index < 0)
        unsupported(node, "pop index out of range on the sample");
      out(agg->elements[index]);
      agg->elements.erase(agg->elements.begin() + index);
    }
    agg->mutated(pathDep_);
    return true;
  }
  if (kind == aten::clear) {
    auto agg = asAggregate(in(0), node);
    agg->elements.clear();
    agg->keys.clear();
    agg->mutated(pathDep_);
    return true;
  }
  if (kind == extend && !isDict) {
    auto agg = asAggregate(in(0), node);
    auto other = asAggregate(in(1), node);
    std::vector<AV> added = other->elements; // a list may extend itself
    agg->elements.insert(agg->elements.end(), added.begin(), added.end());
    agg->mutated(std::max(pathDep_, other->dep));
    return true;
  }
  if ((kind == aten::add || kind == aten::add_) && !isDict &&
      node->inputs().size() == 2 && isListOrDict(node->input(1))) {
    auto lhs = asAggregate(in(0), node);
    auto rhs = asAggregate(in(1), node);
    if (kind == aten::add_) {
      std::vector<AV> added = rhs->elements;
      lhs->elements.insert(lhs->elements.end(), added.begin(), added.end());
      lhs->mutated(std::max(pathDep_, rhs->dep));
      out(in(0));
      return true;
    }
    auto sum = newAggregate(Aggregate::List);
    sum->elements = lhs->elements;
    sum->elements.insert(sum->elements.end(), rhs->elements.begin(),
                         rhs->elements.end());
    sum->dep = std::max({sum->dep, lhs->dep, rhs->dep});
    out(AV::aggregate(std::move(sum), DecisionCategory::Constant));
    return true;
  }
  if ((kind == aten::list || kind == aten::copy) && !isDict &&
      node->inputs().size() == 1) {
    auto agg = asAggregate(in(0), node);
    auto copy = newAggregate(Aggregate::List);
    copy->elements = agg->elements;
    copy->dep = std::max(copy->dep, agg->dep);
    out(AV::aggregate(std::move(copy), DecisionCategory::Constant));
    return true;
  }
  if (kind == aten::slice && !isDict) {
    auto agg = asAggregate(in(0), node);
    int64_t size = agg->elements.size();
    auto optionalInt = [&](size_t i, int64_t fallback) {
      if (node->inputs().size() <= i || in(i).isNone())
        return fallback;
      return decideInt(in(i), node);
    };
    int64_t step = optionalInt(3, 1);
    if (step == 0)
      unsupported(node, "slice step cannot be zero");
    int64_t start = optionalInt(1, step > 0 ? 0 : size - 1);
    int64_t end = optionalInt(2, step > 0 ? size : -size - 1);
    // Python's slice.indices().
    auto clamp = [&](int64_t index, bool isEnd) {
      if (index < 0)
        index += size;
      int64_t low = step > 0 ? 0 : -1, high = step > 0 ? size : size - 1;
      (void)isEnd;
      return std::max(low, std::min(index, high));
    };
    start = clamp(start, false);
    end = clamp(end, true);
    auto slice = newAggregate(Aggregate::List);
    for (int64_t i = start; step > 0 ? i < end : i > end; i += step)
      slice->elements.push_back(agg->elements[i]);
    slice->dep = std::max(slice->dep, agg->dep);
    out(AV::aggregate(std::move(slice), DecisionCategory::Constant));
    return true;
  }
  if ((kind == aten::sort || kind == sorted) && !isDict) {
    // Sorting scalars (sizes, say) is decided from their values.
    auto agg = asAggregate(in(0), node);
    std::vector<std::pair<IValue, AV>> keyed;
    DecisionCategory dep = agg->dep;
    for (const AV &element : agg->elements) {
      IValue key = decide(element, node);
      if (!key.isInt() && !key.isDouble() && !key.isBool() && !key.isString())
        return false;
      dep = std::max(dep, element.dep);
      keyed.emplace_back(std::move(key), element);
    }
    bool descending = node->inputs().size() > 1 && decideBool(in(1), node);
    std::stable_sort(keyed.begin(), keyed.end(),
                     [&](const auto &a, const auto &b) {
                       return descending ? lessThan(b.first, a.first)
                                         : lessThan(a.first, b.first);
                     });
    std::vector<AV> ordered;
    for (auto &entry : keyed)
      ordered.push_back(std::move(entry.second));
    if (kind == sorted) {
      auto copy = newAggregate(Aggregate::List);
      copy->elements = std::move(ordered);
      copy->dep = std::max(copy->dep, dep);
      out(AV::aggregate(std::move(copy), DecisionCategory::Constant));
      return true;
    }
    agg->elements = std::move(ordered);
    agg->mutated(std::max(pathDep_, dep));
    return true;
  }
  if (kind == reverse && !isDict) {
    auto agg = asAggregate(in(0), node);
    std::reverse(agg->elements.begin(), agg->elements.end());
    agg->mutated(pathDep_);
    return true;
  }
  if (isDict && (kind == aten::keys || kind == aten::values ||
                 kind == items)) {
    auto agg = asAggregate(in(0), node);
    auto list = newAggregate(Aggregate::List);
    list->dep = std::max(list->dep, agg->dep);
    TypePtr itemType = node->output()->type()->expectRef<ListType>().getElementType();
    for (size_t i = 0; i < agg->keys.size(); ++i) {
      AV key = fromIValue(agg->keys[i], agg->dep);
      if (kind == aten::keys) {
        list->elements.push_back(key);
      } else if (kind == aten::values) {
        list->elements.push_back(agg->elements[i]);
      } else {
        auto item = std::make_shared<Aggregate>(Aggregate::Tuple, itemType);
        item->elements = {key, agg->elements[i]};
        list->elements.push_back(
            AV::aggregate(std::move(item), DecisionCategory::Constant));
      }
    }
    out(AV::aggregate(std::move(list), DecisionCategory::Constant));
    return true;
  }
  if (isDict && (kind == get || kind == aten::__contains__)) {
    auto agg = asAggregate(in(0), node);
    int64_t at = agg->find(decide(in(1), node));
    if (kind == aten::__contains__) {
      out(AV::constant(IValue(at >= 0), std::max(agg->dep, in(1).dep)));
      return true;
    }
    if (at >= 0)
      out(agg->elements[at]);
    else if (node->inputs().size() > 2)
      out(in(2));
    else
      out(AV::constant(IValue(), agg->dep));
    return true;
  }
  if (isDict && kind == update) {
    auto agg = asAggregate(in(0), node);
    auto other = asAggregate(in(1), node);
    for (size_t i = 0; i < other->keys.size(); ++i) {
      int64_t at = agg->find(other->keys[i]);
      if (at >= 0) {
        agg->elements[at] = other->elements[i];
      } else {
        agg->keys.push_back(other->keys[i]);
        agg->elements.push_back(other->elements[i]);
      }
    }
    agg->mutated(std::max(pathDep_, other->dep));
    return true;
  }
  if (kind == delitem) {
    auto agg = asAggregate(in(0), node);
    int64_t at = isDict ? agg->find(decide(in(1), node))
                        : normalizeIndex(decideInt(in(1), node),
                                         agg->elements.size());
    if (at < 0)
      unsupported(node, isDict ? "key not found in dict on the sample"
                               : "list index out of range on the sample");
    agg->elements.erase(agg->elements.begin() + at);
    if (isDict)
      agg->keys.erase(agg->keys.begin() + at);
    agg->mutated(pathDep_);
    return true;
  }
  if (isDict && kind == aten::setdefault) {
    auto agg = asAggregate(in(0), node);
    IValue key = decide(in(1), node);
    int64_t at = agg->find(key);
    if (at < 0) {
      agg->keys.push_back(key);
      agg->elements.push_back(in(2));
      agg->mutated(pathDep_);
      at = static_cast<int64_t>(agg->keys.size()) - 1;
    }
    out(agg->elements[at]);
    return true;
  }
  return false;
}

void Specializer::walkGeneric(const Node *node) {
  if (getAllOperatorsFor(node->kind()).empty()) {
    std::string load = suggestLoadFor(node->kind().toQualString());
    unsupported(node, std::string("the operator is not registered in this "
                                  "LibTorch") +
                          (load.empty() ? "" : " (try " + load + ")"));
  }
  // torch's own queries (isNondeterministic, hasSideEffects) assume an aten
  // node matches one of its operator's schemas; a textual graph need not.
  if (node->kind().is_aten() && !node->maybeSchema()) {
    std::string types;
    for (const Value *input : node->inputs())
      types += (types.empty() ? "" : ", ") + input->type()->repr_str();
    unsupported(node, "no overload takes these arguments (" + types + ")");
  }
  bool allConstant = true;
  bool producesTensorOrObject = false;
  bool metadata = isMetadataQuery(node);
  bool readsShapeOnly = metadata || isShapeRead(node);
  DecisionCategory dep = DecisionCategory::Constant;
  for (size_t i = 0; i < node->inputs().size(); ++i) {
    const AV &av = lookup(node->input(i));
    allConstant &= av.isConstantTree();
    dep = std::max(dep, readsShapeOnly
                            ? std::min(av.deepDep(), DecisionCategory::Shape)
                            : av.deepDep());
    if (av.kind == AV::Aggregate && writesArgument(node, i))
      unsupported(node, "mutates a list, tuple or dict in a way s2t does "
                        "not model");
  }
  for (const Value *output : node->outputs())
    producesTensorOrObject |= containsTensorOrObject(output->type());
  if (node->isNondeterministic())
    dep = DecisionCategory::Data; // a random value is data, like a tensor's

  if (metadata) {
    // Answered from the sample's metadata and baked in, as a trace does.
    const AV &tensor = lookup(node->input(0));
    if (tensor.kind == AV::Graph && isDeviceQuery(node->kind())) {
      c10::Device device = evaluator_.device(tensor.graphValue);
      IValue answer = node->kind() == prim::device ? IValue(device)
                      : node->kind() == prim::is_cuda
                          ? IValue(device.is_cuda())
                          : IValue(device.is_meta());
      bind(node->output(), AV::constant(answer, dep));
      return;
    }
  }
  // Operations on constants that make no tensor are folded.
  if (metadata || (allConstant && !producesTensorOrObject &&
                   !node->isNondeterministic() && !node->hasSideEffects())) {
    std::vector<IValue> inputs;
    inputs.reserve(node->inputs().size());
    for (const Value *input : node->inputs())
      inputs.push_back(concrete(lookup(input)));
    std::vector<IValue> results = runOperation(node, std::move(inputs));
    for (size_t i = 0; i < results.size(); ++i)
      bind(node->outputs()[i], fromIValue(results[i], dep));
    return;
  }

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
  // A textual graph may declare types its values do not have (a str stored
  // in a Dict(str, Tensor)); torch's passes assert on the aten node that
  // results, which matches none of its schemas.
  if (flat->kind().is_aten() && !flat->maybeSchema()) {
    std::string types;
    for (const Value *input : flat->inputs())
      types += (types.empty() ? "" : ", ") + input->type()->repr_str();
    unsupported(node, "the values reaching it do not have the types the "
                      "graph declares (" + types + ")");
  }
  for (const Value *output : node->outputs())
    flat->addOutput()->copyMetadata(const_cast<Value *>(output));
  emit(flat, node, node);
  for (size_t i = 0; i < node->outputs().size(); ++i)
    bind(node->outputs()[i], graphValue(flat->output(i), dep));
}

} // namespace

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
