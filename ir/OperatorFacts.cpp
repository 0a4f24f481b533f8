//===- ir/OperatorFacts.cpp - What operators do to shapes -----------------===//

#include "ir/OperatorFacts.h"

#include <unordered_set>

namespace s2t {

bool keepsInputSizes(c10::Symbol kind) {
  static const std::unordered_set<c10::Symbol> kinds = [] {
    std::unordered_set<c10::Symbol> result;
    for (const char *name :
         {"aten::batch_norm", "aten::instance_norm", "aten::group_norm",
          "aten::layer_norm", "aten::relu", "aten::relu_", "aten::relu6",
          "aten::hardswish", "aten::hardswish_", "aten::hardsigmoid",
          "aten::hardsigmoid_", "aten::hardtanh", "aten::hardtanh_",
          "aten::silu", "aten::silu_", "aten::gelu", "aten::sigmoid",
          "aten::sigmoid_", "aten::tanh", "aten::tanh_", "aten::dropout",
          "aten::dropout_", "aten::feature_dropout", "aten::alpha_dropout",
          "aten::elu", "aten::elu_", "aten::leaky_relu", "aten::leaky_relu_",
          "aten::softmax", "aten::log_softmax", "aten::contiguous",
          "aten::_transformer_encoder_layer_fwd"})
      result.insert(c10::Symbol::fromQualString(name));
    return result;
  }();
  return kinds.count(kind) != 0;
}

} // namespace s2t
