//===- passes/specialize/Residual.cpp - What the sample does not give -----===//
//
// A decision that needs a value the sample does not give (the data of a
// shape-only input, an input given as `?`, a value computed under residual
// control flow) fails with a message naming that value; with
// --allow-residual, its prim::If or prim::Loop is kept in the flat graph
// instead, both blocks walked, and what they compute left unknown to the
// evaluator.
//
//===----------------------------------------------------------------------===//

#include "passes/specialize/Specializer.h"

#include "ir/Error.h"
#include "ir/SourceLocation.h"

#include <torch/csrc/jit/ir/ir.h>

namespace s2t {

using namespace torch::jit;

std::string Specializer::describeUnknown(const UnknownValue &unknown) {
  const Value *input = graphInputOf(unknown.value);
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
  const Value *input = graphInputOf(unknown.value);
  std::string category =
      input && unknown.shapeOnly ? "a data decision on a shape-only input"
                                 : "";
  if (at && (at->kind() == prim::If || at->kind() == prim::Loop))
    conversionError(location + "cannot decide this " + at->kind().toQualString() +
                    " without " + describeUnknown(unknown) + ": " +
                    (category.empty() ? "" : category + "; ") +
                    "give the values, or " + option("allow_residual") +
                    " to keep it");
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
  if (logUpdates_)
    logUpdate(
        c10::str("Keeping prim::If at ", sourceLocation(node), " residual"));

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
  if (logUpdates_)
    logUpdate(
        c10::str("Keeping prim::Loop at ", sourceLocation(node), " residual"));

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

void Specializer::undoTo(size_t mark) {
  while (undo_.size() > mark) {
    undo_.back()();
    undo_.pop_back();
  }
}

void Specializer::bindResidualOutputs(const Node *node, Node *flat) {
  for (const Value *output : node->outputs()) {
    Value *value = flat->addOutput()->setType(output->type());
    evaluator_.setUnknown(value);
    bind(output, graphValue(value, DecisionCategory::Data));
  }
}

} // namespace s2t
