//===- passes/specialize/Objects.cpp - Attributes and class instances -----===//
//
// Modules and class instances are walked as objects, not values of the flat
// graph: prim::GetAttr resolves submodules and attribute values directly
// (parameters and buffers stay attributes of the module, as in a trace;
// kernels see copies of them, evaluate/AttributeCopies.h), prim::SetAttr
// records the write, and an object reaching an operation of the flat graph is
// read from its parent module by a chain of prim::GetAttr.
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Specializer.h"

#include "ir/Error.h"

#include <torch/csrc/jit/ir/ir.h>

namespace s2t {

using namespace torch::jit;

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
    Value *flat = insertGetAttr(materialize(object, instance->type()), name,
                                node->output()->type());
    flat->node()->setSourceRange(node->sourceRange());
    evaluator_.setAttribute(flat, value);
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

void Specializer::walkSetAttr(const Node *node) {
  const AV &object = lookup(node->input(0));
  if (object.kind != AV::Object)
    unsupported(node, "attribute write on a value that is not an object");
  attributes_[object.value.toObject().get()][node->s(attr::name)] =
      lookup(node->input(1));
}

Value *Specializer::materializeObject(const AV &av) {
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
  Value *value =
      insertGetAttr(parentValue, parent->second.second, object->type());
  evaluator_.setKnown(value, av.value);
  moduleValues_[object.get()] = value;
  rememberUndo([this, key = object.get()] { moduleValues_.erase(key); });
  return value;
}

Value *Specializer::insertGetAttr(Value *object, const std::string &name,
                                  const c10::TypePtr &type) {
  Node *node = out_->create(prim::GetAttr, {object});
  node->s_(attr::name, name);
  Value *value = node->output()->setType(type);
  // Graph::insertGetAttr names each value after its attribute; the name of
  // the previous holder (every conv's `weight`) is then renamed through a
  // std::stringstream. Names of their own, as nameAfter's, rename nothing.
  std::string base = name.find_first_not_of("0123456789") == std::string::npos
                         ? "_" + name // a debug name is not a number
                         : name;
  auto [count, first] = attributeNames_.try_emplace(name, 0);
  value->setDebugName(first ? base
                            : base + "." + std::to_string(++count->second));
  return out_->insertNode(node)->output();
}

void Specializer::walkCreateObject(const Node *node) {
  auto type = node->output()->type()->expect<ClassType>();
  auto object = c10::ivalue::Object::create(
      c10::StrongTypePtr(type->compilation_unit(), type),
      type->numAttributes());
  bind(node->output(), AV::object(object, pathDep_));
}

} // namespace s2t
