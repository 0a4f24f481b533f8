//===- passes/specialize/Specializer.h - The pass's shared state -*- C++ -*-===//
//
// The abstract interpreter of passes/SpecializeControlFlow.cpp, declared once
// for the rooms that define it (private to the pass; not installed):
//   SpecializeControlFlow.cpp  the walk, the dispatch and the entry points;
//   specialize/Values.cpp      abstract values, materializing, deciding;
//   specialize/Witnesses.cpp   what decisions depend on, and the guards;
//   specialize/Residual.cpp    what the sample does not give (--allow-residual);
//   specialize/ControlFlow.cpp prim::If, prim::Loop, calls and `with`;
//   specialize/Objects.cpp     attributes and class instances;
//   specialize/GenericEmit.cpp every other operation, and the errors;
//   specialize/*Idioms.cpp     list, dict and structure operations, as tables
//                              (specialize/Idioms.h).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "ir/Error.h"
#include "ir/FlatSchemas.h"
#include "ir/JitForward.h"
#include "ir/ValueTable.h"
#include "passes/SpecializeControlFlow.h"
#include "passes/evaluate/LazyEvaluator.h"
#include "passes/specialize/AbstractValue.h"

#include <ATen/core/stack.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace s2t {

/// Whether `type` is or holds a tensor or an object (which a flat graph
/// computes rather than bakes in).
bool containsTensorOrObject(const c10::TypePtr &type);

/// The graph input `value` is, looking through the refinement of an Optional
/// argument; null otherwise.
const torch::jit::Value *graphInputOf(const torch::jit::Value *value);

/// GRAPH_UPDATE under the pass's file name, from whichever room decides:
/// PYTORCH_JIT_LOG_LEVEL='>SpecializeControlFlow' logs every decision
/// (docs/usage.md).
void logUpdate(const std::string &message);
/// Whether logUpdate logs: torch asks the environment's levels on each
/// call (~1,300 instructions), so the specializer asks once per run, and
/// builds a message only then.
bool updatesLogged();

class Specializer {
public:
  explicit Specializer(const SpecializeOptions &options);

  SpecializeResult run(const torch::jit::Graph &graph,
                       const std::vector<c10::IValue> &inputs);

  // --- walking (SpecializeControlFlow.cpp, ControlFlow.cpp, Objects.cpp) ----
  std::vector<AV> walkGraph(const torch::jit::Graph &graph,
                            std::vector<AV> inputs);
  std::vector<AV> walkBlock(const torch::jit::Block *block);
  void walkNode(const torch::jit::Node *node);
  void dispatchNode(const torch::jit::Node *node);
  void walkIf(const torch::jit::Node *node);
  void walkLoop(const torch::jit::Node *node);
  void walkCall(const torch::jit::Node *node, const torch::jit::Graph &callee,
                std::vector<AV> calleeInputs);
  /// Walks `callee` as called by `node` and returns its outputs.
  std::vector<AV> inlineCall(const torch::jit::Node *node,
                             const torch::jit::Graph &callee,
                             std::vector<AV> calleeInputs);
  /// The graph of method `name` of the object `self`, called at `node`.
  const torch::jit::Graph &methodGraph(const torch::jit::Node *node,
                                       const AV &self,
                                       const std::string &name);
  void walkEnter(const torch::jit::Node *node);
  void walkExit(const torch::jit::Node *node);
  void walkGetAttr(const torch::jit::Node *node);
  void walkSetAttr(const torch::jit::Node *node);
  void walkCreateObject(const torch::jit::Node *node);
  void walkRaise(const torch::jit::Node *node);
  void walkGeneric(const torch::jit::Node *node);

  // --- values (Values.cpp) ---------------------------------------------------
  const AV &lookup(const torch::jit::Value *value) const;
  void bind(const torch::jit::Value *value, AV av) {
    env_[value] = std::move(av);
  }
  AV fromIValue(const c10::IValue &value, DecisionCategory dep);
  /// The value of the scripted prim::Constant `node` (fromIValue makes each
  /// walk's structures afresh from it).
  const c10::IValue &constantValue(const torch::jit::Node *node);
  AV graphValue(torch::jit::Value *value, DecisionCategory dep);
  /// The sample value of `av` (structures are built as IValues) with tensors
  /// of the flat graph on the meta device: exact except for tensor data.
  c10::IValue concrete(const AV &av);
  /// `av` as a value of the flat graph, emitting what builds it.
  torch::jit::Value *materialize(const AV &av, const c10::TypePtr &expected);
  /// A value a decision at `at` needs. With --guards, a value that depends
  /// on the inputs gets a check in the flat graph; outside prim::If and
  /// prim::Loop (a list index, a dict key) it is recorded as a decision.
  /// Throws UnknownValue when the sample does not give it.
  c10::IValue decide(const AV &av, const torch::jit::Node *at);
  int64_t decideInt(const AV &av, const torch::jit::Node *at);
  bool decideBool(const AV &av, const torch::jit::Node *at);
  /// `av` as a list/tuple/dict structure, unpacking a flat-graph value with
  /// prim::ListUnpack / prim::TupleUnpack where needed.
  std::shared_ptr<Aggregate> asAggregate(const AV &av,
                                         const torch::jit::Node *at);
  void record(Decision::Kind kind, DecisionCategory category,
              const torch::jit::Node *node, int64_t outcome,
              std::vector<std::string> dependsOn);
  DecisionCategory pathDep() const { return pathDep_; }
  void markMutated(Aggregate &agg, DecisionCategory dep);

  // --- what decisions depend on (Witnesses.cpp) ------------------------------
  /// Whether `av` (or a value it holds) is computed from the inputs by a
  /// value of the flat graph.
  static bool hasWitness(const AV &av);
  /// `av` as a flat-graph value computed from the inputs where it depends on
  /// them (see AV::witness), else as its constant.
  torch::jit::Value *witnessFor(const AV &av, const c10::TypePtr &type);
  /// Gives the folded results of `node` (on `inputs`) witnesses: a copy of
  /// `node` on the inputs' witnesses.
  void attachWitnesses(const torch::jit::Node *node,
                       const std::vector<AV> &inputs,
                       std::vector<AV> &results);
  /// The inputs (and which aspect of them) `value` is computed from.
  const std::vector<std::string> &sourcesOf(torch::jit::Value *value);
  std::vector<std::string> dependenciesOf(const AV &av);
  /// A structural key of `value`'s computation, for emitting a check once.
  const std::string &keyOf(torch::jit::Value *value);
  /// Emits a check that `witness` equals `expected` at run time, raising
  /// with `message` otherwise. Returns false if the value cannot be checked.
  bool emitCheck(torch::jit::Value *witness, const c10::IValue &expected,
                 const std::string &message, const torch::jit::Node *at);
  std::string checkMessage(const torch::jit::Node *at, const AV &av,
                           const c10::IValue &value);

  // --- values the sample does not give (Residual.cpp) ------------------------
  [[noreturn]] void failUnknown(const torch::jit::Node *at,
                                const UnknownValue &unknown);
  std::string describeUnknown(const UnknownValue &unknown);
  void residualIf(const torch::jit::Node *node, const AV &condition,
                  const UnknownValue &unknown);
  void residualLoop(const torch::jit::Node *node, int64_t tripsDone,
                    const AV &tripCount, const AV &condition,
                    std::vector<AV> carried, const UnknownValue &unknown);
  /// Runs `undo` when the residual block being walked ends (caches of flat
  /// values must not leak values defined inside a block out of it).
  void rememberUndo(std::function<void()> undo) {
    if (residual_ > 0)
      undo_.push_back(std::move(undo));
  }
  /// Runs the undo actions remembered since `mark`, newest first.
  void undoTo(size_t mark);
  /// Binds the outputs of the scripted `node` to those of the residual
  /// `flat` node, unknown to the evaluator.
  void bindResidualOutputs(const torch::jit::Node *node,
                           torch::jit::Node *flat);

  // --- emitting and errors (GenericEmit.cpp) ---------------------------------
  /// Appends `node` to the flat graph outside the evaluator's view (checks,
  /// witnesses, residual control flow).
  torch::jit::Node *insertRaw(torch::jit::Node *node,
                              const torch::jit::Node *source);
  /// Appends `node` to the flat graph with the source range of `source`; its
  /// sample value is computed, when needed, with `operatorOf`'s operator (by
  /// default the node's own).
  torch::jit::Node *emit(torch::jit::Node *node,
                         const torch::jit::Node *source,
                         const torch::jit::Node *operatorOf = nullptr);
  /// Runs `node`'s operator on sample values.
  std::vector<c10::IValue> runOperation(const torch::jit::Node *node,
                                        std::vector<c10::IValue> inputs);
  [[noreturn]] void unsupported(const torch::jit::Node *node,
                                const Message &why);
  /// Before an error of the sample's path is reported: runs the operations
  /// emitted so far that nothing ran (LazyEvaluator::runAll), since the
  /// interpreter would have, and reports the first of them that fails.
  void runEarlierOperations();

  /// The flat graph being built, and the evaluator of its sample values.
  torch::jit::Graph &flat() { return *out_; }
  LazyEvaluator &evaluator() { return evaluator_; }

private:
  /// The calls being walked, innermost first (null at the top level), and
  /// the calls each flat node was emitted under: errors name the call sites
  /// of an operation in a callee, torch.nn.functional's or the model's own.
  struct CallSite {
    const torch::jit::Node *call;
    std::shared_ptr<const CallSite> caller;
  };
  /// "FILE:LINE:COL" of `node`, followed by the calls it was reached through.
  std::string where(const torch::jit::Node *node, const CallSite *site) const;
  std::string where(const torch::jit::Node *node) const {
    return where(node, callSite_.get());
  }

  /// Binds the samples to the graph's inputs, adding the flat graph's.
  std::vector<AV> bindInputs(const torch::jit::Graph &graph,
                             const std::vector<c10::IValue> &inputs);
  torch::jit::Value *materializeConstant(const AV &av);
  /// The flat graph's constant of the scalar `value` (an int, float, bool,
  /// string, device or None), made once, where it is first used, and reused
  /// by every later use: an unrolled loop adds no constant per iteration.
  /// Null when `value` is not such a scalar or the walk is inside a residual
  /// block (whose constants would not reach the code after it).
  torch::jit::Value *pooledConstant(const c10::IValue &value);
  torch::jit::Value *materializeObject(const AV &av);
  /// `object.name` of type `type` in the flat graph, as
  /// Graph::insertGetAttr, but named `name.K` from the second read of an
  /// attribute of that name on.
  torch::jit::Value *insertGetAttr(torch::jit::Value *object,
                                   const std::string &name,
                                   const c10::TypePtr &type);
  torch::jit::Value *materializeAggregate(const AV &av);
  /// What walkGeneric asks of an operation of the scripted graph, found on
  /// its first walk (an unrolled loop walks its body once per iteration).
  struct OperationFacts {
    /// Draws random numbers (not a dropout that draws nothing).
    bool nondeterministic = false;
    /// Node::isNondeterministic, as torch says.
    bool torchNondeterministic = false;
    bool sideEffects = false;
    bool producesTensorOrObject = false;
    bool metadataQuery = false;
    bool readsShapeOnly = false;
  };
  /// The facts of `node`; refuses an operator this LibTorch does not have,
  /// or an aten node that matches none of its schemas.
  const OperationFacts &factsOf(const torch::jit::Node *node);
  /// Node::isNondeterministic, answered once per schema where the answer
  /// depends on the schema alone.
  bool isNondeterministic(const torch::jit::Node *node);
  /// Folds `node` on constant inputs; false if the sample does not give them.
  bool foldGeneric(const torch::jit::Node *node, const std::vector<AV> &inputs,
                   DecisionCategory dep);
  void emitGeneric(const torch::jit::Node *node, DecisionCategory dep);
  /// Names `value`, emitted for the scripted `source`, after it: the first
  /// takes its name, later ones (unrolled, called again) `NAME.K`. Every
  /// value of the flat graph keeps a name: torch's printer inlines unnamed
  /// values that have one use into their user, and an unrolled chain of a
  /// 100,000 of them nests so deep that loading the archive overflows the
  /// stack. Taking a name another value holds would rename that value
  /// (Value::setDebugName), which costs more than the rest of the node.
  void nameAfter(torch::jit::Value *value, const torch::jit::Value *source);

  const SpecializeOptions &options_;
  const bool logUpdates_ = updatesLogged();
  std::shared_ptr<torch::jit::Graph> out_;
  /// The schemas of the operations emitted as copies (ir/FlatSchemas.h).
  std::shared_ptr<FlatSchemas> schemas_ = std::make_shared<FlatSchemas>();
  LazyEvaluator evaluator_;
  std::unordered_map<const torch::jit::Value *, AV> env_;
  /// prim::SetAttr writes and the first read of each attribute, per object, so
  /// that structures read from attributes keep their identity.
  std::unordered_map<const c10::ivalue::Object *,
                     std::unordered_map<std::string, AV>>
      attributes_;
  /// Flat-graph values of module objects (self, GetAttr chains).
  std::unordered_map<const c10::ivalue::Object *, torch::jit::Value *>
      moduleValues_;
  std::unordered_map<const c10::ivalue::Object *,
                     std::pair<c10::intrusive_ptr<c10::ivalue::Object>,
                               std::string>>
      moduleParents_;
  /// Flat-graph lists and tuples already unpacked into structures.
  std::unordered_map<const torch::jit::Value *, std::shared_ptr<Aggregate>>
      unpacked_;
  std::unordered_map<const torch::jit::Node *, torch::jit::Operation>
      operations_;
  std::unordered_map<const torch::jit::Node *, OperationFacts> facts_;
  /// The values of the scripted graphs' prim::Constant nodes, read once
  /// (toIValue looks the attribute up by name, ~600 instructions, and an
  /// inlined function or an unrolled body walks its constants each time).
  std::unordered_map<const torch::jit::Node *, c10::IValue> constantValues_;
  /// Node::isNondeterministic by schema, for the schemas without a `train`
  /// argument (torch's answer compares the schema with each of a list).
  std::unordered_map<const c10::FunctionSchema *, bool> nondeterministic_;
  /// How many flat values were named after each scripted value (nameAfter).
  std::unordered_map<const torch::jit::Value *, int64_t> emittedNames_;
  /// How many prim::GetAttr read an attribute of each name (insertGetAttr).
  std::unordered_map<std::string, int64_t> attributeNames_;
  /// pooledConstant's constants, by the bits of their value.
  struct ScalarKey {
    int kind;
    int64_t bits;
    std::string text;
    bool operator==(const ScalarKey &other) const {
      return kind == other.kind && bits == other.bits && text == other.text;
    }
  };
  struct ScalarKeyHash {
    size_t operator()(const ScalarKey &key) const {
      return std::hash<int64_t>()(key.bits) * 31 + key.kind +
             std::hash<std::string>()(key.text);
    }
  };
  std::unordered_map<ScalarKey, torch::jit::Value *, ScalarKeyHash>
      constants_;
  DecisionCategory pathDep_ = DecisionCategory::Constant;
  const torch::jit::Node *current_ = nullptr; ///< the node being walked
  std::shared_ptr<const CallSite> callSite_;
  std::unordered_map<const torch::jit::Node *, std::shared_ptr<const CallSite>>
      callSites_;
  int64_t nodesEmitted_ = 0;
  /// Whether decide() put a check in for the prim::If / prim::Loop at hand.
  bool lastChecked_ = false;
  /// Nesting of residual prim::If / prim::Loop blocks being walked.
  int residual_ = 0;
  std::vector<std::function<void()>> undo_;
  /// sourcesOf's answers, per value of the flat graph; a value that reads
  /// what one input read shares that input's list.
  ValueTable<std::shared_ptr<const std::vector<std::string>>> sources_;
  std::unordered_map<const torch::jit::Value *, std::string> keys_;
  std::unordered_set<std::string> checked_;
  int depth_ = 0;
  SpecializeResult result_;
};

} // namespace s2t
