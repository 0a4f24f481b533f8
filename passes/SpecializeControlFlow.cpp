//===- passes/SpecializeControlFlow.cpp - Scripted graph to flat trace ----===//
//
// An abstract interpreter over a scripted graph. Every value of the input graph
// maps to an abstract value (ir/AbstractValue.h): a constant, a value of the
// flat output graph with its sample value, or a structure (list, tuple, dict,
// object) whose elements are abstract values themselves. The walk
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
// Assumes TorchScript's lowering: early return, break and continue are already
// prim::If nodes feeding the loop condition, so deciding If and Loop suffices.
//
//===----------------------------------------------------------------------===//

#include "passes/SpecializeControlFlow.h"

#include "ir/AbstractValue.h"
#include "ir/Error.h"
#include "ir/OperatorFacts.h"
#include "ir/OperatorLibraries.h"
#include "io/SampleSpec.h"
#include "ir/SourceLocation.h"
#include "passes/evaluate/LazyEvaluator.h"

#include <ATen/ops/empty.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir_views.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/jit_log.h>
#include <torch/csrc/jit/runtime/operator.h>

#include <cstring>
#include <set>
#include <unordered_map>
#include <unordered_set>

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
        evaluator_([this](const Node *flat, const Node *origin,
                          const std::string &message) {
          auto site = callSites_.find(flat);
          conversionError(where(origin ? origin : flat,
                                site == callSites_.end() ? nullptr
                                                         : site->second.get()) +
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
  /// Walks `callee` as called by `node` and returns its outputs.
  std::vector<AV> inlineCall(const Node *node, const Graph &callee,
                             std::vector<AV> calleeInputs);
  /// The graph of method `name` of the object `self`, called at `node`.
  const Graph &methodGraph(const Node *node, const AV &self,
                           const std::string &name);
  void walkEnter(const Node *node);
  void walkExit(const Node *node);
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
  /// A value a decision at `at` needs. With --guards, a value that depends
  /// on the inputs gets a check in the flat graph; outside prim::If and
  /// prim::Loop (a list index, a dict key) it is recorded as a decision.
  /// Throws UnknownValue when the sample does not give it.
  IValue decide(const AV &av, const Node *at);
  int64_t decideInt(const AV &av, const Node *at);
  bool decideBool(const AV &av, const Node *at);

  // --- what decisions depend on (report, guards) ----------------------------
  /// Whether `av` (or a value it holds) is computed from the inputs by a
  /// value of the flat graph.
  static bool hasWitness(const AV &av);
  /// `av` as a flat-graph value computed from the inputs where it depends on
  /// them (see AV::witness), else as its constant.
  Value *witnessFor(const AV &av, const TypePtr &type);
  /// Gives the folded results of `node` (on `inputs`) witnesses: a copy of
  /// `node` on the inputs' witnesses.
  void attachWitnesses(const Node *node, const std::vector<AV> &inputs,
                       std::vector<AV> &results);
  /// The inputs (and which aspect of them) `value` is computed from.
  const std::vector<std::string> &sourcesOf(Value *value);
  std::vector<std::string> dependenciesOf(const AV &av);
  /// A structural key of `value`'s computation, for emitting a check once.
  const std::string &keyOf(Value *value);
  /// Emits a check that `witness` equals `expected` at run time, raising
  /// with `message` otherwise. Returns false if the value cannot be checked.
  bool emitCheck(Value *witness, const IValue &expected,
                 const std::string &message, const Node *at);
  std::string checkMessage(const Node *at, const AV &av,
                           const IValue &value);

  // --- values the sample does not give --------------------------------------
  [[noreturn]] void failUnknown(const Node *at, const UnknownValue &unknown);
  std::string describeUnknown(const UnknownValue &unknown);
  void residualIf(const Node *node, const AV &condition,
                  const UnknownValue &unknown);
  void residualLoop(const Node *node, int64_t tripsDone, const AV &tripCount,
                    const AV &condition, std::vector<AV> carried,
                    const UnknownValue &unknown);
  /// Runs `undo` when the residual block being walked ends (caches of flat
  /// values must not leak values defined inside a block out of it).
  void rememberUndo(std::function<void()> undo) {
    if (residual_ > 0)
      undo_.push_back(std::move(undo));
  }
  /// Runs the undo actions remembered since `mark`, newest first.
  void undoTo(size_t mark) {
    while (undo_.size() > mark) {
      undo_.back()();
      undo_.pop_back();
    }
  }
  /// Binds the outputs of the scripted `node` to those of the residual
  /// `flat` node, unknown to the evaluator.
  void bindResidualOutputs(const Node *node, Node *flat) {
    for (const Value *output : node->outputs()) {
      Value *value = flat->addOutput()->setType(output->type());
      evaluator_.setUnknown(value);
      bind(output, graphValue(value, DecisionCategory::Data));
    }
  }
  /// Appends `node` to the flat graph outside the evaluator's view (checks,
  /// witnesses, residual control flow).
  Node *insertRaw(Node *node, const Node *source);

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
  /// Before an error of the sample's path is reported: runs the operations
  /// emitted so far that nothing ran (LazyEvaluator::runAll), since the
  /// interpreter would have, and reports the first of them that fails.
  void runEarlierOperations();

  DecisionCategory pathDep() const { return pathDep_; }
  void markMutated(Aggregate &agg, DecisionCategory dep) {
    if (residual_ > 0)
      unsupported(current_, "a list or dict changed under a prim::If or "
                            "prim::Loop kept residual (--allow-residual)");
    agg.mutated(dep);
  }
  void record(Decision::Kind kind, DecisionCategory category, const Node *node,
              int64_t outcome, std::vector<std::string> dependsOn);

  /// A copy of an attribute's tensors for the evaluator: kernels run on the
  /// sample write in place to what the graph writes to (`self.count += 1`),
  /// and that must not change the module the flat graph is saved with, nor a
  /// LibTorch caller's module. Attributes that share memory share it in
  /// their copies too.
  IValue evaluationCopy(const IValue &value);
  at::Tensor evaluationCopy(const at::Tensor &tensor);

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
  /// The copies that the evaluator's kernels see of the module's parameters
  /// and buffers, one per storage (evaluationCopy).
  std::unordered_map<const c10::StorageImpl *, c10::Storage> storageCopies_;
  std::unordered_map<const Node *, Operation> operations_;
  DecisionCategory pathDep_ = DecisionCategory::Constant;
  const Node *current_ = nullptr; ///< the node being walked, for messages
  /// The calls being walked, innermost first (null at the top level), and
  /// the calls each flat node was emitted under: errors name the call sites
  /// of an operation in a callee, torch.nn.functional's or the model's own.
  struct CallSite {
    const Node *call;
    std::shared_ptr<const CallSite> caller;
  };
  std::shared_ptr<const CallSite> callSite_;
  std::unordered_map<const Node *, std::shared_ptr<const CallSite>> callSites_;
  /// "FILE:LINE:COL" of `node`, followed by the calls it was reached through.
  std::string where(const Node *node, const CallSite *site) const;
  std::string where(const Node *node) const { return where(node, callSite_.get()); }
  int64_t nodesEmitted_ = 0;
  /// Whether decide() put a check in for the prim::If / prim::Loop at hand.
  bool lastChecked_ = false;
  /// Nesting of residual prim::If / prim::Loop blocks being walked.
  int residual_ = 0;
  std::vector<std::function<void()>> undo_;
  std::unordered_map<const Value *, std::vector<std::string>> sources_;
  std::unordered_map<const Value *, std::string> keys_;
  std::unordered_set<std::string> checked_;
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
    rememberUndo([this, key = object.get()] { moduleValues_.erase(key); });
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
  rememberUndo([shared = av.agg] { shared->materialized = nullptr; });
  return result;
}

void Specializer::record(Decision::Kind kind, DecisionCategory category,
                         const Node *node, int64_t outcome,
                         std::vector<std::string> dependsOn) {
  Decision decision{kind, category, node, outcome};
  decision.dependsOn = std::move(dependsOn);
  decision.checked = lastChecked_;
  lastChecked_ = false;
  result_.decisions.push_back(std::move(decision));
}

// ===--- what decisions depend on ---------------------------------------=== //

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
                    ": the flat graph exceeds --max-nodes=" +
                    std::to_string(options_.maxNodes) + " operations");
  return out_->insertNode(node);
}

bool Specializer::hasWitness(const AV &av) {
  if (av.witnessValue())
    return true;
  if (av.kind == AV::Aggregate && av.agg->kind != Aggregate::Dict)
    for (const AV &element : av.agg->elements)
      if (hasWitness(element))
        return true;
  return false;
}

Value *Specializer::witnessFor(const AV &av, const TypePtr &type) {
  if (av.kind == AV::Constant && av.witness)
    return av.witness;
  if (av.kind != AV::Aggregate || !hasWitness(av))
    return materialize(av, type);
  const Aggregate &agg = *av.agg;
  std::vector<Value *> elements;
  if (agg.kind == Aggregate::List) {
    TypePtr elementType = agg.type->expectRef<ListType>().getElementType();
    for (const AV &element : agg.elements)
      elements.push_back(witnessFor(element, elementType));
    return insertRaw(out_->createList(elementType, elements), current_)
        ->output();
  }
  auto tupleType = agg.type->cast<TupleType>();
  for (size_t i = 0; i < agg.elements.size(); ++i)
    elements.push_back(witnessFor(agg.elements[i],
                                  tupleType ? tupleType->elements().at(i)
                                            : agg.elements[i].staticType()));
  return insertRaw(out_->createTuple(elements,
                                     tupleType && tupleType->schema()
                                         ? tupleType
                                         : nullptr),
                   current_)
      ->output();
}

void Specializer::attachWitnesses(const Node *node,
                                  const std::vector<AV> &inputs,
                                  std::vector<AV> &results) {
  if (node->hasSideEffects() || node->isNondeterministic())
    return;
  bool any = false;
  for (const AV &input : inputs)
    any |= hasWitness(input);
  if (!any)
    return;
  Node *copy = out_->create(node->kind(), 0);
  copy->copyAttributes(*node);
  for (size_t i = 0; i < inputs.size(); ++i)
    copy->addInput(witnessFor(inputs[i], node->input(i)->type()));
  for (const Value *output : node->outputs())
    copy->addOutput()->setType(output->type());
  insertRaw(copy, node);
  for (size_t i = 0; i < results.size(); ++i) {
    AV &result = results[i];
    if (result.kind == AV::Constant) {
      result.witness = copy->output(i);
      continue;
    }
    if (result.kind != AV::Aggregate || result.agg->kind == Aggregate::Dict)
      continue;
    // One level of a tuple or list of constants (divmod, a list of sizes):
    // unpacking also checks the length at run time.
    Aggregate &agg = *result.agg;
    Node *unpack;
    if (agg.kind == Aggregate::Tuple) {
      unpack = out_->createTupleUnpack(copy->output(i));
    } else {
      unpack = out_->createListUnpack(copy->output(i), agg.elements.size());
      for (Value *element : unpack->outputs())
        element->setType(agg.type->expectRef<ListType>().getElementType());
    }
    insertRaw(unpack, node);
    for (size_t e = 0; e < agg.elements.size(); ++e)
      if (agg.elements[e].kind == AV::Constant)
        agg.elements[e].witness = unpack->output(e);
  }
}

namespace {
/// The graph input `value` is, looking through the refinement of an
/// Optional argument; null otherwise.
const Value *asGraphInput(const Value *value) {
  if (value->node()->kind() == prim::unchecked_cast)
    value = value->node()->input();
  if (value->node()->kind() == prim::Param &&
      value->node()->owningBlock() == value->owningGraph()->block())
    return value;
  return nullptr;
}

/// Operations whose first tensor input has the sizes of their output.
bool keepsSizes(const Node *node) {
  static const std::unordered_set<Symbol> kinds = [] {
    std::unordered_set<Symbol> result;
    for (const char *name :
         {"aten::clone", "aten::neg", "aten::abs", "aten::exp", "aten::log",
          "aten::sqrt", "aten::rsqrt", "aten::detach", "aten::to"})
      result.insert(Symbol::fromQualString(name));
    return result;
  }();
  if (keepsInputSizes(node->kind()) || kinds.count(node->kind()))
    return true;
  // Arithmetic with a scalar, and in-place arithmetic (which cannot resize).
  static const std::unordered_set<Symbol> arithmetic = {
      aten::add, aten::sub, aten::mul, aten::div, aten::add_, aten::sub_,
      aten::mul_, aten::div_};
  if (!arithmetic.count(node->kind()) || node->inputs().size() < 2)
    return false;
  return node->kind().toUnqualString()[std::strlen(
             node->kind().toUnqualString()) - 1] == '_' ||
         node->input(1)->type()->kind() != TypeKind::TensorType;
}

/// Operations whose output has the rank of their first tensor input.
bool keepsRank(const Node *node) {
  static const std::unordered_set<Symbol> kinds = [] {
    std::unordered_set<Symbol> result;
    for (const char *name :
         {"aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::_convolution",
          "aten::convolution", "aten::max_pool1d", "aten::max_pool2d",
          "aten::max_pool3d", "aten::avg_pool1d", "aten::avg_pool2d",
          "aten::avg_pool3d", "aten::adaptive_avg_pool1d",
          "aten::adaptive_avg_pool2d", "aten::adaptive_avg_pool3d",
          "aten::adaptive_max_pool2d", "aten::upsample_nearest2d",
          "aten::upsample_bilinear2d", "aten::pad", "aten::constant_pad_nd"})
      result.insert(Symbol::fromQualString(name));
    return result;
  }();
  return keepsSizes(node) || kinds.count(node->kind());
}

/// The tensor whose sizes (or rank) `value` has by construction: checks on
/// either are the same check.
const Value *sizesRepresentative(const Value *value, bool rankOnly,
                                 int budget = 64) {
  while (value->type()->kind() == TypeKind::TensorType &&
         value->node()->kind() != prim::Param && --budget > 0) {
    const Node *node = value->node();
    if (node->outputs().size() != 1 || node->inputs().empty() ||
        node->input(0)->type()->kind() != TypeKind::TensorType)
      break;
    if (rankOnly ? keepsRank(node) : keepsSizes(node)) {
      value = node->input(0);
      continue;
    }
    // Tensor arithmetic of two tensors of one rank keeps that rank.
    static const std::unordered_set<Symbol> binary = {aten::add, aten::sub,
                                                      aten::mul, aten::div};
    if (rankOnly && binary.count(node->kind()) &&
        node->input(1)->type()->kind() == TypeKind::TensorType) {
      const Value *a = sizesRepresentative(node->input(0), true, budget / 2);
      if (a == sizesRepresentative(node->input(1), true, budget / 2)) {
        value = a;
        continue;
      }
    }
    break;
  }
  return value;
}

bool isNoneConstant(const Value *value) {
  return value->node()->kind() == prim::Constant &&
         value->type()->kind() == TypeKind::NoneType;
}
} // namespace

const std::vector<std::string> &Specializer::sourcesOf(Value *root) {
  // Iterative post-order: the flat graph may be 100,000 operations deep.
  std::vector<std::pair<Value *, bool>> work{{root, false}};
  while (!work.empty()) {
    auto [value, expanded] = work.back();
    work.pop_back();
    if (sources_.count(value))
      continue;
    Node *node = value->node();
    if (!expanded) {
      work.push_back({value, true});
      if (node->kind() != prim::Param)
        for (Value *input : node->inputs())
          if (!sources_.count(input))
            work.push_back({input, false});
      continue;
    }
    std::vector<std::string> result;
    auto unionOf = [&](auto inputs, const char *aspect) {
      for (Value *input : inputs)
        for (const std::string &source : sources_.at(input)) {
          bool whole = source.find_first_of(". ()") == std::string::npos;
          result.push_back(whole && aspect ? source + aspect : source);
        }
    };
    Symbol kind = node->kind();
    const Value *direct =
        node->inputs().empty() ? nullptr : asGraphInput(node->input(0));
    std::string name = direct ? direct->debugNameBase() : "";
    if (kind == prim::Param) {
      if (asGraphInput(value) &&
          value->type()->kind() != TypeKind::ClassType)
        result.push_back(value->debugNameBase());
    } else if (kind == aten::size && node->inputs().size() == 2 && direct &&
               toIValue(node->input(1))) {
      result.push_back(name + ".size(" +
                       std::to_string(toIValue(node->input(1))->toInt()) +
                       ")");
    } else if (isShapeRead(node) || kind == aten::dim) {
      const char *call = kind == aten::dim ? ".dim()"
                         : kind == aten::len ? ".shape"
                                             : ".shape";
      if (direct)
        result.push_back(kind == aten::len ? "len(" + name + ")"
                                           : name + call);
      else
        unionOf(node->inputs(), ".shape");
    } else if (kind == prim::dtype ||
               kind == Symbol::fromQualString("aten::is_floating_point") ||
               kind == Symbol::fromQualString("aten::is_complex")) {
      if (direct)
        result.push_back(name + ".dtype");
      else
        unionOf(node->inputs(), ".dtype");
    } else if (isDeviceQuery(kind)) {
      if (direct)
        result.push_back(name + ".device");
      else
        unionOf(node->inputs(), ".device");
    } else if ((kind == aten::__is__ || kind == aten::__isnot__) &&
               node->inputs().size() == 2 &&
               (isNoneConstant(node->input(0)) ||
                isNoneConstant(node->input(1)))) {
      const Value *other = isNoneConstant(node->input(0)) ? node->input(1)
                                                          : node->input(0);
      if (const Value *input = asGraphInput(other))
        result.push_back(input->debugNameBase() + " is None");
      else
        unionOf(node->inputs(), nullptr);
    } else if (kind == aten::len && direct) {
      result.push_back("len(" + name + ")");
    } else if (kind == prim::isinstance && direct) {
      result.push_back("type(" + name + ")");
    } else {
      unionOf(node->inputs(), nullptr);
    }
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    sources_.emplace(value, std::move(result));
  }
  return sources_.at(root);
}

std::vector<std::string> Specializer::dependenciesOf(const AV &av) {
  std::vector<std::string> result;
  if (Value *witness = av.witnessValue())
    result = sourcesOf(witness);
  else if (av.kind == AV::Aggregate)
    for (const AV &element : av.agg->elements)
      for (const std::string &source : dependenciesOf(element))
        result.push_back(source);
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

const std::string &Specializer::keyOf(Value *root) {
  // Pure scalar computations are keyed by their structure, so that a check
  // on `x.size(0)` written twice in the model is emitted once; anything else
  // (tensors, operations with effects) by identity.
  std::vector<std::pair<Value *, bool>> work{{root, false}};
  while (!work.empty()) {
    auto [value, expanded] = work.back();
    work.pop_back();
    if (keys_.count(value))
      continue;
    Node *node = value->node();
    bool structural =
        node->kind() != prim::Param && !node->hasSideEffects() &&
        !node->isNondeterministic() && node->blocks().empty() &&
        !containsTensorOrObject(value->type());
    if (structural && !expanded) {
      work.push_back({value, true});
      for (Value *input : node->inputs())
        if (!keys_.count(input))
          work.push_back({input, false});
      continue;
    }
    std::string key;
    if (auto constant = toIValue(value)) {
      key = "const:" + constant->type()->annotation_str() + ":" +
            c10::str(*constant);
    } else if (!structural) {
      key = "%" + std::to_string(value->unique());
    } else {
      std::ostringstream text;
      text << node->kind().toQualString() << "#" << value->offset() << "(";
      // A size or rank read is keyed by the tensor that has those by
      // construction, so that one check covers every BatchNorm of a network.
      bool readsSizes = node->kind() == aten::size || node->kind() == aten::dim;
      for (Value *input : node->inputs()) {
        if (readsSizes && input->type()->kind() == TypeKind::TensorType)
          text << "%" << sizesRepresentative(input, node->kind() == aten::dim)
                             ->unique() << ",";
        else
          text << keys_.at(input) << ",";
      }
      text << ")";
      for (Symbol name : node->attributeNames())
        if (node->kindOf(name) == AttributeKind::s)
          text << name.toUnqualString() << "=" << node->s(name);
        else if (node->kindOf(name) == AttributeKind::i)
          text << name.toUnqualString() << "=" << node->i(name);
        else
          text << "@" << node; // other attributes: no sharing
      key = text.str();
    }
    keys_.emplace(value, std::move(key));
  }
  return keys_.at(root);
}

std::string Specializer::checkMessage(const Node *at, const AV &av,
                                      const IValue &value) {
  std::string what;
  if (at->kind() == prim::If)
    what = std::string("the sample took the ") +
           (value.toBool() ? "then" : "else") + " branch of this if";
  else if (at->kind() == prim::Loop)
    what = "the sample ran this loop a different number of times";
  else
    what = std::string("the sample gave ") + at->kind().toQualString() +
           " the value " + c10::str(value);
  std::string deps;
  for (const std::string &source : dependenciesOf(av))
    deps += (deps.empty() ? "" : ", ") + source;
  return "s2t guard failed at " + sourceLocation(at) + ": " + what + " (" +
         toString(av.deepDep()) + " decision" +
         (deps.empty() ? "" : " on " + deps) +
         "); this input takes another path";
}

bool Specializer::emitCheck(Value *witness, const IValue &expected,
                            const std::string &message, const Node *at) {
  Node *compare = nullptr;
  TypePtr type = witness->type();
  if (expected.isBool() && type->kind() == TypeKind::BoolType) {
    if (!expected.toBool())
      compare = out_->create(aten::__not__, {witness});
  } else if (expected.isNone()) {
    compare = out_->create(aten::__is__, {witness, out_->insertConstant(IValue())});
  } else if ((expected.isInt() && type->kind() == TypeKind::IntType) ||
             (expected.isDouble() && type->kind() == TypeKind::FloatType) ||
             (expected.isString() && type->kind() == TypeKind::StringType) ||
             (expected.isDevice() && type->kind() == TypeKind::DeviceObjType) ||
             (expected.isBool() && type->kind() == TypeKind::BoolType)) {
    compare = out_->create(aten::eq, {witness, out_->insertConstant(expected)});
  } else {
    return false; // lists, tensors, ...: no check
  }
  std::string key = keyOf(witness) + "==" + c10::str(expected);
  if (!checked_.insert(key).second)
    return true; // the same check is in already
  rememberUndo([this, key] { checked_.erase(key); });
  Value *ok = witness;
  if (compare) {
    compare->output()->setType(BoolType::get());
    ok = insertRaw(compare, at)->output();
  }
  Node *check = insertRaw(out_->create(prim::If, {ok}, 0), at);
  check->addBlock();
  Block *fails = check->addBlock();
  {
    WithInsertPoint inFails(fails);
    Value *text = out_->insertConstant(message);
    Value *kindName = out_->insertConstant(std::string("builtins.RuntimeError"));
    Node *raise = out_->create(prim::RaiseException, {text, kindName}, 0);
    raise->setSourceRange(at->sourceRange());
    out_->insertNode(raise);
  }
  result_.checks.push_back(check);
  return true;
}

// ===--- values the sample does not give --------------------------------=== //

std::string Specializer::describeUnknown(const UnknownValue &unknown) {
  const Value *input = asGraphInput(unknown.value);
  std::string what;
  if (input && unknown.shapeOnly)
    what = "the values of shape-only input '" + input->debugNameBase() + "'";
  else if (input)
    what = "input '" + input->debugNameBase() + "', given as '?'";
  else
    what = "a value computed under a prim::If or prim::Loop kept residual";
  if (unknown.needing && input && unknown.shapeOnly)
    what += std::string(" (") + unknown.needing->kind().toQualString() +
            " reads them)";
  return what;
}

void Specializer::failUnknown(const Node *at, const UnknownValue &unknown) {
  std::string location = at ? where(at) + ": " : std::string();
  const Value *input = asGraphInput(unknown.value);
  std::string category =
      input && unknown.shapeOnly ? "a data decision on a shape-only input"
                                 : "";
  if (at && (at->kind() == prim::If || at->kind() == prim::Loop))
    conversionError(location + "cannot decide this " + at->kind().toQualString() +
                    " without " + describeUnknown(unknown) + ": " +
                    (category.empty() ? "" : category + "; ") +
                    "give the values, or --allow-residual to keep it");
  conversionError(location + "cannot compute " +
                  (at ? at->kind().toQualString() : "the output") +
                  " without " + describeUnknown(unknown) +
                  (category.empty() ? "" : " (" + category + ")"));
}

void Specializer::residualIf(const Node *node, const AV &condition,
                             const UnknownValue &unknown) {
  Value *flatCondition = materialize(condition, BoolType::get());
  Node *flatIf = insertRaw(out_->create(prim::If, {flatCondition}, 0), node);
  Decision decision{Decision::If, DecisionCategory::Data, node, -1};
  decision.residual = true;
  decision.reason = "needs " + describeUnknown(unknown);
  decision.dependsOn = dependenciesOf(condition);
  result_.decisions.push_back(std::move(decision));
  GRAPH_UPDATE("Keeping prim::If at ", sourceLocation(node), " residual");

  DecisionCategory saved = pathDep_;
  pathDep_ = DecisionCategory::Data;
  ++residual_;
  for (size_t b = 0; b < 2; ++b) {
    Block *block = flatIf->addBlock();
    size_t undoMark = undo_.size();
    WithInsertPoint inBlock(block);
    std::vector<AV> outputs = walkBlock(node->blocks()[b]);
    for (size_t i = 0; i < outputs.size(); ++i)
      block->registerOutput(
          materialize(outputs[i], node->outputs()[i]->type()));
    undoTo(undoMark);
  }
  --residual_;
  pathDep_ = saved;
  bindResidualOutputs(node, flatIf);
}

void Specializer::residualLoop(const Node *node, int64_t tripsDone,
                               const AV &tripCount, const AV &condition,
                               std::vector<AV> carried,
                               const UnknownValue &unknown) {
  const Block *body = node->blocks()[0];
  std::vector<Value *> loopInputs{materialize(tripCount, IntType::get()),
                                  materialize(condition, BoolType::get())};
  for (size_t i = 0; i < carried.size(); ++i)
    loopInputs.push_back(
        materialize(carried[i], node->outputs()[i]->type()));
  Node *loop = insertRaw(out_->create(prim::Loop, loopInputs, 0), node);
  Decision decision{Decision::Loop, DecisionCategory::Data, node, tripsDone};
  decision.residual = true;
  decision.reason = "needs " + describeUnknown(unknown);
  if (tripsDone > 0)
    decision.reason += " (after " + std::to_string(tripsDone) +
                       " iterations unrolled)";
  decision.dependsOn = dependenciesOf(condition);
  result_.decisions.push_back(std::move(decision));
  GRAPH_UPDATE("Keeping prim::Loop at ", sourceLocation(node), " residual");

  Block *flatBody = loop->addBlock();
  DecisionCategory saved = pathDep_;
  pathDep_ = DecisionCategory::Data;
  ++residual_;
  size_t undoMark = undo_.size();
  {
    WithInsertPoint inBody(flatBody);
    Value *index = flatBody->addInput()->setType(IntType::get());
    evaluator_.setUnknown(index);
    AV indexAV = graphValue(index, DecisionCategory::Data);
    if (tripsDone > 0) {
      // The scripted body counts from the first iteration not unrolled.
      Node *add = out_->create(
          aten::add, {index, materialize(AV::constant(tripsDone,
                                                      DecisionCategory::Constant),
                                         IntType::get())});
      add->output()->setType(IntType::get());
      indexAV = graphValue(emit(add, node)->output(), DecisionCategory::Data);
    }
    bind(body->inputs()[0], indexAV);
    for (size_t i = 0; i < carried.size(); ++i) {
      Value *input =
          flatBody->addInput()->setType(node->outputs()[i]->type());
      evaluator_.setUnknown(input);
      bind(body->inputs()[i + 1], graphValue(input, DecisionCategory::Data));
    }
    std::vector<AV> outputs = walkBlock(body);
    flatBody->registerOutput(materialize(outputs[0], BoolType::get()));
    for (size_t i = 1; i < outputs.size(); ++i)
      flatBody->registerOutput(
          materialize(outputs[i], node->outputs()[i - 1]->type()));
  }
  undoTo(undoMark);
  --residual_;
  pathDep_ = saved;
  bindResidualOutputs(node, loop);
}

IValue Specializer::decide(const AV &av, const Node *at) {
  if (av.kind == AV::Uninitialized)
    unsupported(at, "a decision reads an uninitialized value");
  IValue value = concrete(av);
  DecisionCategory category = av.deepDep();
  if (category == DecisionCategory::Constant)
    return value;
  bool checked = false;
  if (options_.guards != GuardMode::None)
    if (Value *witness = av.witnessValue())
      checked = emitCheck(witness, value, checkMessage(at, av, value), at);
  if (at->kind() != prim::If && at->kind() != prim::Loop) {
    if (!av.witnessValue())
      return value; // follows from the path, as a loop index does
    Decision decision{Decision::Value, category, at, 0};
    decision.dependsOn = dependenciesOf(av);
    decision.value = value.isString() ? "'" + value.toStringRef() + "'"
                                      : c10::str(value);
    decision.checked = checked;
    result_.decisions.push_back(std::move(decision));
  } else {
    lastChecked_ |= checked;
  }
  return value;
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
  agg->origin = value;
  agg->materializedVersion = agg->version;
  agg->materializedAt = evaluator_.writes();
  unpacked_[value] = agg;
  rememberUndo([this, value] { unpacked_.erase(value); });
  return agg;
}

Node *Specializer::emit(Node *node, const Node *source,
                        const Node *operatorOf) {
  insertRaw(node, source);
  evaluator_.emitted(node, operatorOf);
  return node;
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

void Specializer::unsupported(const Node *node, const std::string &why) {
  runEarlierOperations();
  conversionError(where(node) + ": unsupported: " +
                  node->kind().toQualString() + ": " + why);
}

/// The Optional that `value` refines, if a prim::unchecked_cast made it: a
/// check of `is None` must read the Optional itself, since on the refined
/// value TorchScript's peephole pass folds it to a constant.
static AV unrefined(const AV &value) {
  if (value.kind != AV::Graph)
    return value;
  Node *cast = value.graphValue->node();
  if (cast->kind() != prim::unchecked_cast ||
      !cast->input()->type()->cast<OptionalType>())
    return value;
  AV optional = value;
  optional.graphValue = cast->input();
  return optional;
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
  // runs), and those it drops as dead are run, just before they go.
  evaluator_.checkAll();
  torch::jit::EliminateDeadCode(
      out_->block(), [this](const std::unordered_set<const Value *> &live) {
        evaluator_.runDropped(live);
      });
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
         fromIValue(*toIValue(node->output()), DecisionCategory::Constant));
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
  lastChecked_ = checked;
  record(Decision::Loop, dep, node, trip,
         std::vector<std::string>(dependsOn.begin(), dependsOn.end()));
  GRAPH_UPDATE("Unrolled prim::Loop at ", sourceLocation(node), ": ", trip,
               " iterations (", toString(dep), ")");
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
    evaluator_.setKnown(flat, evaluationCopy(value));
    av = graphValue(flat, object.dep);
  } else {
    av = fromIValue(value, object.dep);
  }
  attributes.emplace(name, av);
  rememberUndo([this, key = instance.get(), name] {
    attributes_[key].erase(name);
  });
  bind(node->output(), std::move(av));
}

at::Tensor Specializer::evaluationCopy(const at::Tensor &tensor) {
  if (!tensor.defined())
    return tensor;
  if (tensor.layout() != c10::kStrided || tensor.is_quantized() ||
      !tensor.has_storage()) {
    at::Tensor copy = tensor.detach().clone();
    return tensor.requires_grad() ? copy.requires_grad_(true) : copy;
  }
  const c10::Storage &storage = tensor.storage();
  auto [it, added] = storageCopies_.try_emplace(storage.unsafeGetStorageImpl());
  if (added) {
    // All of the storage, byte for byte, so that views of it at any offset
    // and of any dtype find their elements where they were.
    at::Tensor bytes =
        at::empty({0}, tensor.options().dtype(at::kByte))
            .set_(storage, 0, {static_cast<int64_t>(storage.nbytes())}, {1});
    it->second = bytes.clone().storage();
  }
  at::Tensor copy = at::empty({0}, tensor.options())
                        .set_(it->second, tensor.storage_offset(),
                              tensor.sizes(), tensor.strides());
  return tensor.requires_grad() ? copy.requires_grad_(true) : copy;
}

IValue Specializer::evaluationCopy(const IValue &value) {
  if (value.isTensor())
    return evaluationCopy(value.toTensor());
  if (value.isList()) {
    c10::impl::GenericList list(value.toList().elementType());
    for (const IValue &element : value.toList())
      list.push_back(evaluationCopy(element));
    return list;
  }
  if (value.isTuple()) {
    std::vector<IValue> elements;
    for (const IValue &element : value.toTupleRef().elements())
      elements.push_back(evaluationCopy(element));
    return c10::ivalue::Tuple::create(std::move(elements));
  }
  if (value.isGenericDict()) {
    c10::impl::GenericDict dict(value.toGenericDict().keyType(),
                                value.toGenericDict().valueType());
    for (const auto &entry : value.toGenericDict())
      dict.insert(entry.key(), evaluationCopy(entry.value()));
    return dict;
  }
  return value;
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
  runEarlierOperations();
  conversionError(where(node) + ": the sample's path raises " + kind +
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
      bool isNone;
      try {
        isNone = other.isNone() ||
                 (other.kind == AV::Graph && concrete(other).isNone());
      } catch (const UnknownValue &) {
        return false; // an unknown Optional: computed in the flat graph
      }
      DecisionCategory dep =
          std::min(std::max(a.dep, b.dep), DecisionCategory::Shape);
      std::vector<AV> results{AV::constant(IValue(isNone != negate), dep)};
      if (dep != DecisionCategory::Constant)
        attachWitnesses(node, {unrefined(a), unrefined(b)}, results);
      out(std::move(results[0]));
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
      std::vector<AV> results{AV::constant(
          IValue(same != negate),
          std::min(std::max(a.dep, b.dep), DecisionCategory::Shape))};
      attachWitnesses(node, {a, b}, results);
      out(std::move(results[0]));
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
    std::vector<AV> results{AV::constant(
        IValue(matches), std::min(value.dep, DecisionCategory::Shape))};
    if (value.kind == AV::Graph)
      attachWitnesses(node, {value}, results);
    out(std::move(results[0]));
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
    AV length = AV::constant(
        IValue(static_cast<int64_t>(agg->elements.size())), agg->dep);
    if (agg->origin && agg->version == 0 &&
        agg->dep != DecisionCategory::Constant) {
      // Its length is the flat-graph value's, whose size the inputs decide.
      Node *len = out_->create(aten::len, {agg->origin});
      len->output()->setType(IntType::get());
      length.witness = insertRaw(len, node)->output();
    }
    out(std::move(length));
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
    markMutated(*agg, pathDep_);
    if (node->outputs().size() == 1)
      out(in(0));
    return true;
  }
  if (kind == aten::append) {
    auto agg = asAggregate(in(0), node);
    agg->elements.push_back(in(1));
    markMutated(*agg, pathDep_);
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
    markMutated(*agg, pathDep_);
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
    markMutated(*agg, pathDep_);
    return true;
  }
  if (kind == aten::clear) {
    auto agg = asAggregate(in(0), node);
    agg->elements.clear();
    agg->keys.clear();
    markMutated(*agg, pathDep_);
    return true;
  }
  if (kind == extend && !isDict) {
    auto agg = asAggregate(in(0), node);
    auto other = asAggregate(in(1), node);
    std::vector<AV> added = other->elements; // a list may extend itself
    agg->elements.insert(agg->elements.end(), added.begin(), added.end());
    markMutated(*agg, std::max(pathDep_, other->dep));
    return true;
  }
  if ((kind == aten::add || kind == aten::add_) && !isDict &&
      node->inputs().size() == 2 && isListOrDict(node->input(1))) {
    auto lhs = asAggregate(in(0), node);
    auto rhs = asAggregate(in(1), node);
    if (kind == aten::add_) {
      std::vector<AV> added = rhs->elements;
      lhs->elements.insert(lhs->elements.end(), added.begin(), added.end());
      markMutated(*lhs, std::max(pathDep_, rhs->dep));
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
    markMutated(*agg, std::max(pathDep_, dep));
    return true;
  }
  if (kind == reverse && !isDict) {
    auto agg = asAggregate(in(0), node);
    std::reverse(agg->elements.begin(), agg->elements.end());
    markMutated(*agg, pathDep_);
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
    markMutated(*agg, std::max(pathDep_, other->dep));
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
    markMutated(*agg, pathDep_);
    return true;
  }
  if (isDict && kind == aten::setdefault) {
    auto agg = asAggregate(in(0), node);
    IValue key = decide(in(1), node);
    int64_t at = agg->find(key);
    if (at < 0) {
      agg->keys.push_back(key);
      agg->elements.push_back(in(2));
      markMutated(*agg, pathDep_);
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

  std::vector<AV> inputs;
  inputs.reserve(node->inputs().size());
  for (const Value *input : node->inputs())
    inputs.push_back(lookup(input));
  if (metadata) {
    // Answered from the sample's metadata and baked in, as a trace does.
    const AV &tensor = inputs[0];
    if (tensor.kind == AV::Graph && isDeviceQuery(node->kind())) {
      c10::Device device = evaluator_.device(tensor.graphValue);
      IValue answer = node->kind() == prim::device ? IValue(device)
                      : node->kind() == prim::is_cuda
                          ? IValue(device.is_cuda())
                          : IValue(device.is_meta());
      std::vector<AV> results{AV::constant(answer, dep)};
      attachWitnesses(node, inputs, results);
      bind(node->output(), std::move(results[0]));
      return;
    }
  }
  // Operations on constants that make no tensor are folded.
  if (metadata || (allConstant && !producesTensorOrObject &&
                   !node->isNondeterministic() && !node->hasSideEffects())) {
    std::vector<IValue> samples;
    samples.reserve(node->inputs().size());
    bool known = true;
    try {
      for (const AV &input : inputs)
        samples.push_back(concrete(input));
    } catch (const UnknownValue &) {
      known = false; // computed in the flat graph, decided where needed
    }
    if (known) {
      std::vector<IValue> values = runOperation(node, std::move(samples));
      std::vector<AV> results;
      results.reserve(values.size());
      for (const IValue &value : values)
        results.push_back(fromIValue(value, dep));
      if (dep != DecisionCategory::Constant)
        attachWitnesses(node, inputs, results);
      for (size_t i = 0; i < results.size(); ++i)
        bind(node->outputs()[i], std::move(results[i]));
      return;
    }
  }
  if (residual_ > 0)
    for (size_t i = 0; i < node->inputs().size(); ++i)
      if (writesArgument(node, i))
        unsupported(node, "an in-place operation under a prim::If or "
                          "prim::Loop kept residual (--allow-residual)");

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
