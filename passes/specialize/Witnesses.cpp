//===- passes/specialize/Witnesses.cpp - What decisions depend on, guards -===//
//
// A value folded from the inputs' metadata (x.dim(), `x is None`) keeps a
// witness: a value of the flat graph that computes it at run time. From the
// witnesses come what the decision report says a decision read (sourcesOf:
// `x.size(0)`, `x.dtype`, `len(xs)`) and, with --guards, the checks put into
// the flat graph: a prim::If on the witness whose else block raises, emitted
// once per structurally equal computation (keyOf).
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Specializer.h"

#include "ir/OperatorFacts.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/ir/ir.h>

#include <algorithm>
#include <sstream>

namespace s2t {

using namespace torch::jit;

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
  // (torch's answers cost thousands of instructions: those kept with the
  // operation's facts, where it has them.)
  auto facts = facts_.find(node);
  if (facts != facts_.end() ? facts->second.sideEffects ||
                                  facts->second.torchNondeterministic
                            : node->hasSideEffects() ||
                                  isNondeterministic(node))
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
  schemas_->match(copy); // for the clean-up
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

const Value *graphInputOf(const Value *value) {
  if (value->node()->kind() == prim::unchecked_cast)
    value = value->node()->input();
  if (value->node()->kind() == prim::Param &&
      value->node()->owningBlock() == value->owningGraph()->block())
    return value;
  return nullptr;
}

namespace {

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
    if (rankOnly && isBasicArithmetic(node->kind()) &&
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
    if (sources_.find(value))
      continue;
    Node *node = value->node();
    if (!expanded) {
      work.push_back({value, true});
      if (node->kind() != prim::Param)
        for (Value *input : node->inputs())
          if (!sources_.find(input))
            work.push_back({input, false});
      continue;
    }
    std::vector<std::string> result;
    auto unionOf = [&](auto inputs, const char *aspect) {
      for (Value *input : inputs)
        for (const std::string &source : **sources_.find(input)) {
          bool whole = source.find_first_of(". ()") == std::string::npos;
          result.push_back(whole && aspect ? source + aspect : source);
        }
    };
    Symbol kind = node->kind();
    const Value *direct =
        node->inputs().empty() ? nullptr : graphInputOf(node->input(0));
    std::string name = direct ? direct->debugNameBase() : "";
    if (kind == prim::Param) {
      if (graphInputOf(value) &&
          value->type()->kind() != TypeKind::ClassType)
        result.push_back(value->debugNameBase());
    } else if (kind == aten::size && node->inputs().size() == 2 && direct &&
               toIValue(node->input(1))) {
      result.push_back(name + ".size(" +
                       std::to_string(toIValue(node->input(1))->toInt()) +
                       ")");
    } else if (isShapeRead(node) || kind == aten::dim) {
      const char *call = kind == aten::dim ? ".dim()" : ".shape";
      if (direct)
        result.push_back(kind == aten::len ? "len(" + name + ")"
                                           : name + call);
      else
        unionOf(node->inputs(), ".shape");
    } else if (isDtypeQuery(kind)) {
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
      if (const Value *input = graphInputOf(other))
        result.push_back(input->debugNameBase() + " is None");
      else
        unionOf(node->inputs(), nullptr);
    } else if (kind == aten::len && direct) {
      result.push_back("len(" + name + ")");
    } else if (kind == prim::isinstance && direct) {
      result.push_back("type(" + name + ")");
    } else {
      // Most values read what one input read (or nothing): its list.
      std::shared_ptr<const std::vector<std::string>> only;
      bool several = false;
      for (Value *input : node->inputs()) {
        const auto &sources = *sources_.find(input);
        if (sources->empty() || sources == only)
          continue;
        several = only != nullptr;
        if (several)
          break;
        only = sources;
      }
      if (!several) {
        static const auto none =
            std::make_shared<const std::vector<std::string>>();
        sources_[value] = only ? std::move(only) : none;
        continue;
      }
      unionOf(node->inputs(), nullptr);
    }
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    sources_[value] =
        std::make_shared<const std::vector<std::string>>(std::move(result));
  }
  return **sources_.find(root);
}

std::vector<std::string> Specializer::dependenciesOf(const AV &av) {
  if (Value *witness = av.witnessValue())
    return sourcesOf(witness); // sorted, without repeats
  std::vector<std::string> result;
  if (av.kind == AV::Aggregate)
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
        !isNondeterministic(node) && node->blocks().empty() &&
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

} // namespace s2t
