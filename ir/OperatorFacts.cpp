//===- ir/OperatorFacts.cpp - What operators do, in one table -------------===//
//
// The tables behind ir/OperatorFacts.h: one set of symbols per fact, built
// once from qualified names.
//
//===----------------------------------------------------------------------===//

#include "ir/OperatorFacts.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>

#include <initializer_list>
#include <unordered_set>

namespace s2t {

using namespace torch::jit;

namespace {

using SymbolSet = std::unordered_set<Symbol>;

SymbolSet symbols(std::initializer_list<const char *> names) {
  SymbolSet result;
  for (const char *name : names)
    result.insert(Symbol::fromQualString(name));
  return result;
}

bool isTensor(const Value *value) {
  return value->type()->kind() == TypeKind::TensorType;
}

} // namespace

bool keepsInputSizes(Symbol kind) {
  static const SymbolSet kinds = symbols(
      {"aten::batch_norm", "aten::instance_norm", "aten::group_norm",
       "aten::layer_norm", "aten::relu", "aten::relu_", "aten::relu6",
       "aten::hardswish", "aten::hardswish_", "aten::hardsigmoid",
       "aten::hardsigmoid_", "aten::hardtanh", "aten::hardtanh_",
       "aten::silu", "aten::silu_", "aten::gelu", "aten::sigmoid",
       "aten::sigmoid_", "aten::tanh", "aten::tanh_", "aten::dropout",
       "aten::dropout_", "aten::feature_dropout", "aten::alpha_dropout",
       "aten::elu", "aten::elu_", "aten::leaky_relu", "aten::leaky_relu_",
       "aten::softmax", "aten::log_softmax", "aten::contiguous",
       "aten::_transformer_encoder_layer_fwd"});
  return kinds.count(kind) != 0;
}

bool isMetadataQuery(Symbol kind) {
  static const SymbolSet kinds = symbols(
      {"prim::dtype", "prim::device", "aten::dim", "prim::is_cuda",
       "prim::layout", "prim::requires_grad", "aten::is_floating_point",
       "aten::is_complex", "prim::is_sparse", "prim::is_sparse_csr",
       "prim::is_quantized", "prim::is_mkldnn", "prim::is_meta",
       "prim::is_xpu", "prim::is_vulkan", "prim::is_ipu", "prim::is_mps",
       "prim::is_ort", "prim::is_nested", "prim::name"});
  return kinds.count(kind) != 0;
}

bool isDeviceQuery(Symbol kind) {
  static const SymbolSet kinds =
      symbols({"prim::device", "prim::is_cuda", "prim::is_meta"});
  return kinds.count(kind) != 0;
}

bool isDtypeQuery(Symbol kind) {
  static const SymbolSet kinds = symbols(
      {"prim::dtype", "aten::is_floating_point", "aten::is_complex"});
  return kinds.count(kind) != 0;
}

bool isShapeRead(const Node *node) {
  static const SymbolSet kinds =
      symbols({"aten::size", "aten::numel", "aten::sym_size"});
  if (kinds.count(node->kind()))
    return true;
  return node->kind() == aten::len && node->inputs().size() == 1 &&
         isTensor(node->input(0));
}

bool isBasicArithmetic(Symbol kind) {
  return kind == aten::add || kind == aten::sub || kind == aten::mul ||
         kind == aten::div;
}

bool isDropoutDrawingNothing(const Node *node) {
  static const SymbolSet dropouts = {
      aten::dropout,
      aten::dropout_,
      aten::feature_dropout,
      aten::feature_dropout_,
      aten::alpha_dropout,
      aten::alpha_dropout_,
      aten::feature_alpha_dropout,
      aten::feature_alpha_dropout_,
  };
  if (!dropouts.count(node->kind()) || node->inputs().size() != 3)
    return false;
  c10::optional<bool> train = constant_as<bool>(node->input(2));
  c10::optional<double> p = constant_as<double>(node->input(1));
  return (train.has_value() && !*train) || (p.has_value() && *p == 0);
}

bool writesArgument(const Node *node, size_t index) {
  const FunctionSchema *schema = node->maybeSchema();
  if (!schema || index >= schema->arguments().size())
    return false;
  const c10::AliasInfo *alias = schema->arguments()[index].alias_info();
  return alias && alias->isWrite();
}

bool keepsSizes(const Node *node) {
  static const SymbolSet kinds = symbols(
      {"aten::clone", "aten::neg", "aten::abs", "aten::exp", "aten::log",
       "aten::sqrt", "aten::rsqrt", "aten::detach", "aten::to"});
  if (keepsInputSizes(node->kind()) || kinds.count(node->kind()))
    return true;
  // Arithmetic with a scalar, and in-place arithmetic (which cannot resize).
  static const SymbolSet inPlaceArithmetic =
      symbols({"aten::add_", "aten::sub_", "aten::mul_", "aten::div_"});
  bool inPlace = inPlaceArithmetic.count(node->kind()) != 0;
  if ((!inPlace && !isBasicArithmetic(node->kind())) ||
      node->inputs().size() < 2)
    return false;
  return inPlace || !isTensor(node->input(1));
}

bool keepsRank(const Node *node) {
  static const SymbolSet kinds = symbols(
      {"aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::_convolution",
       "aten::convolution", "aten::max_pool1d", "aten::max_pool2d",
       "aten::max_pool3d", "aten::avg_pool1d", "aten::avg_pool2d",
       "aten::avg_pool3d", "aten::adaptive_avg_pool1d",
       "aten::adaptive_avg_pool2d", "aten::adaptive_avg_pool3d",
       "aten::adaptive_max_pool2d", "aten::upsample_nearest2d",
       "aten::upsample_bilinear2d", "aten::pad", "aten::constant_pad_nd"});
  return keepsSizes(node) || kinds.count(node->kind());
}

} // namespace s2t
