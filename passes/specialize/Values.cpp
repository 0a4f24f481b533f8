//===- passes/specialize/Values.cpp - Abstract values and decisions -------===//
//
// The specializer's values (passes/specialize/AbstractValue.h) between the
// scripted graph and the flat one: made from IValues, read back as sample
// values (concrete), put into the flat graph (materialize), taken apart as
// structures (asAggregate), and decided (decide), which records a decision
// and, with --guards, puts a check of it into the flat graph.
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Specializer.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>

#include <cstring>

namespace s2t {

using namespace torch::jit;

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

const IValue &Specializer::constantValue(const Node *node) {
  auto known = constantValues_.find(node);
  if (known != constantValues_.end())
    return known->second;
  // (A malformed constant throws here, and is read again if walked again.)
  return constantValues_.emplace(node, *toIValue(node->output())).first->second;
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
  case AV::Constant:
    return materializeConstant(av);
  case AV::Object:
    return materializeObject(av);
  case AV::Aggregate:
    break;
  }
  return materializeAggregate(av);
}

Value *Specializer::pooledConstant(const IValue &value) {
  if (residual_ > 0)
    return nullptr;
  ScalarKey key{0, 0, {}};
  if (value.isNone()) {
    key.kind = 1;
  } else if (value.isInt()) {
    key = {2, value.toInt(), {}};
  } else if (value.isDouble()) {
    double number = value.toDouble();
    int64_t bits;
    static_assert(sizeof bits == sizeof number);
    std::memcpy(&bits, &number, sizeof bits);
    key = {3, bits, {}};
  } else if (value.isBool()) {
    key = {4, value.toBool(), {}};
  } else if (value.isString()) {
    key = {5, 0, value.toStringRef()};
  } else if (value.isDevice()) {
    c10::Device device = value.toDevice();
    key = {6, static_cast<int64_t>(device.type()) * 1024 + device.index(), {}};
  } else {
    return nullptr;
  }
  auto [it, added] = constants_.try_emplace(std::move(key), nullptr);
  if (added) {
    it->second = out_->insertConstant(value);
    evaluator_.setKnown(it->second, value);
  }
  return it->second;
}

Value *Specializer::materializeConstant(const AV &av) {
  if (Value *pooled = pooledConstant(av.value))
    return pooled;
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

Value *Specializer::materializeAggregate(const AV &av) {
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

void Specializer::markMutated(Aggregate &agg, DecisionCategory dep) {
  if (residual_ > 0)
    unsupported(current_, "a list or dict changed under a prim::If or "
                          "prim::Loop kept residual (" +
                              option("allow_residual") + ")");
  agg.mutated(dep);
}

} // namespace s2t
