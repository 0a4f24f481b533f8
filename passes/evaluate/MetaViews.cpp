//===- passes/evaluate/MetaViews.cpp - Views by formula -------------------===//
//
// See MetaViews.h. Each formula declines what its kernel raises on (a
// dimension out of range, an index out of bounds, sizes that do not hold
// the elements, a view whose strides computeStride cannot find), so that the
// kernel raises there as before. test/unit/MetaFormulasTest.cpp compares
// each with the CPU kernel, storage offset included.
//
//===----------------------------------------------------------------------===//
#include "passes/evaluate/MetaViews.h"

#include "passes/evaluate/MetaValues.h"

#include <ATen/EmptyTensor.h>
#include <ATen/TensorUtils.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/MemoryFormat.h>

#include <limits>
#include <vector>

namespace s2t {
namespace evaluate {

using c10::IValue;
using Sizes = std::vector<int64_t>;

namespace {

/// Whether a view of `value` may be a tensor of its own (MetaViews.h): a
/// strided meta tensor that requires grad and is no leaf, in grad mode.
bool viewMayBeItsOwn(const IValue &value) {
  if (!value.isTensor())
    return false;
  const at::Tensor &self = value.toTensor();
  return self.defined() && self.is_meta() && self.layout() == c10::kStrided &&
         at::GradMode::is_enabled() && self.requires_grad() && !self.is_leaf();
}

/// `dim` in [0, rank), counted from the end where negative, or None where
/// the kernel raises (out of range; a 0-d tensor has no dimension here).
c10::optional<int64_t> wrapped(const IValue &dim, int64_t rank) {
  if (!dim.isInt())
    return c10::nullopt;
  int64_t d = dim.toInt();
  if (d < -rank || d >= rank)
    return c10::nullopt;
  return d < 0 ? d + rank : d;
}

/// A view of `self` of these sizes, strides and storage offset: a meta
/// tensor on `self`'s storage that requires grad, computed.
IValue viewOf(const at::Tensor &self, c10::IntArrayRef sizes,
              c10::IntArrayRef strides, int64_t offset) {
  at::Tensor view = at::detail::make_tensor<c10::TensorImpl>(
      c10::Storage(self.storage()),
      c10::DispatchKeySet(c10::DispatchKey::Meta), self.dtype());
  view.unsafeGetTensorImpl()->set_sizes_and_strides(sizes, strides, offset);
  return asComputedRequiringGrad(std::move(view));
}

/// A contiguous copy of `self` of `sizes` (clone, or reshape's copy).
IValue contiguousCopy(const at::Tensor &self, c10::IntArrayRef sizes) {
  at::Tensor copy = at::detail::empty_meta(sizes, self.scalar_type(),
                                           c10::nullopt, c10::nullopt,
                                           c10::nullopt, c10::nullopt);
  if (at::GradMode::is_enabled() && self.requires_grad())
    return asComputedRequiringGrad(std::move(copy));
  return copy;
}

/// `shape` with its one -1 inferred from `numel`, as LibTorch's infer_size
/// does it, or None where it raises (two -1s, a negative size, a shape that
/// does not hold `numel` elements, a -1 among sizes of no element).
c10::optional<Sizes> inferShape(const IValue &value, int64_t numel) {
  if (!value.isIntList())
    return c10::nullopt;
  Sizes shape = value.toIntVector();
  int64_t product = 1;
  c10::optional<size_t> inferred;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (inferred)
        return c10::nullopt;
      inferred = d;
    } else if (shape[d] >= 0) {
      product *= shape[d];
    } else {
      return c10::nullopt;
    }
  }
  bool holds = numel == product ||
               (inferred && product > 0 && numel % product == 0);
  if (!holds || (inferred && product == 0))
    return c10::nullopt;
  if (inferred)
    shape[*inferred] = numel / product;
  return shape;
}

/// view(self, size): the strides computeStride finds, else None (the kernel
/// raises).
c10::optional<IValue> view(const at::Tensor &self, const IValue &size) {
  c10::optional<Sizes> shape = inferShape(size, self.numel());
  if (!shape)
    return c10::nullopt;
  c10::optional<Sizes> strides =
      at::detail::computeStride(self.sizes(), self.strides(), *shape);
  if (!strides)
    return c10::nullopt;
  return viewOf(self, *shape, *strides, self.storage_offset());
}

/// reshape(self, shape): a view where computeStride finds strides, else a
/// contiguous copy of the new shape.
c10::optional<IValue> reshape(const at::Tensor &self, const Sizes &shape) {
  c10::optional<Sizes> strides =
      at::detail::computeStride(self.sizes(), self.strides(), shape);
  if (strides)
    return viewOf(self, shape, *strides, self.storage_offset());
  return contiguousCopy(self, shape);
}

/// flatten.using_ints(self, start_dim, end_dim): `self` itself from a
/// dimension to itself; with start < end, reshape to the sizes with those
/// of start..end multiplied (a 0-d tensor and start > end are left to the
/// kernel).
c10::optional<IValue> flatten(const torch::jit::Stack &stack) {
  if (stack.size() != 3 || !stack[0].isTensor())
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  if (!self.defined() || !self.is_meta())
    return c10::nullopt;
  int64_t rank = self.dim();
  c10::optional<int64_t> start = wrapped(stack[1], rank);
  c10::optional<int64_t> end = wrapped(stack[2], rank);
  if (!start || !end || *start > *end)
    return c10::nullopt;
  if (*start == *end)
    return stack[0];
  if (!viewMayBeItsOwn(stack[0]))
    return c10::nullopt;
  Sizes shape(self.sizes().begin(), self.sizes().begin() + *start);
  int64_t merged = 1;
  for (int64_t d = *start; d <= *end; ++d)
    merged *= self.size(d);
  shape.push_back(merged);
  shape.insert(shape.end(), self.sizes().begin() + *end + 1,
               self.sizes().end());
  return reshape(self, shape);
}

/// transpose.int(self, dim0, dim1): the two dimensions' sizes and strides
/// swapped (the same ones when dim0 is dim1: an alias).
c10::optional<IValue> transpose(const at::Tensor &self, const IValue &dim0,
                                const IValue &dim1) {
  c10::optional<int64_t> a = wrapped(dim0, self.dim());
  c10::optional<int64_t> b = wrapped(dim1, self.dim());
  if (!a || !b)
    return c10::nullopt;
  Sizes sizes = self.sizes().vec(), strides = self.strides().vec();
  std::swap(sizes[*a], sizes[*b]);
  std::swap(strides[*a], strides[*b]);
  return viewOf(self, sizes, strides, self.storage_offset());
}

/// permute(self, dims): sizes and strides in the order of `dims`, a
/// permutation of every dimension.
c10::optional<IValue> permute(const at::Tensor &self, const IValue &dims) {
  int64_t rank = self.dim();
  if (!dims.isIntList() || rank == 0)
    return c10::nullopt;
  Sizes order = dims.toIntVector();
  if (static_cast<int64_t>(order.size()) != rank)
    return c10::nullopt;
  Sizes sizes(rank), strides(rank);
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < rank; ++i) {
    c10::optional<int64_t> d = wrapped(IValue(order[i]), rank);
    if (!d || seen[*d])
      return c10::nullopt;
    seen[*d] = true;
    sizes[i] = self.size(*d);
    strides[i] = self.stride(*d);
  }
  return viewOf(self, sizes, strides, self.storage_offset());
}

/// unsqueeze(self, dim): a dimension of size 1 inserted at `dim` (of the
/// result), whose stride is 1 at the end, else the size times the stride of
/// the dimension it comes before.
c10::optional<IValue> unsqueeze(const at::Tensor &self, const IValue &dim) {
  c10::optional<int64_t> d = wrapped(dim, self.dim() + 1);
  if (!d)
    return c10::nullopt;
  Sizes sizes = self.sizes().vec(), strides = self.strides().vec();
  int64_t stride = *d >= self.dim() ? 1 : sizes[*d] * strides[*d];
  sizes.insert(sizes.begin() + *d, 1);
  strides.insert(strides.begin() + *d, stride);
  return viewOf(self, sizes, strides, self.storage_offset());
}

/// select.int(self, dim, index): the dimension taken out, the storage
/// offset moved to the index (counted from the end where negative).
c10::optional<IValue> select(const at::Tensor &self, const IValue &dim,
                             const IValue &index) {
  c10::optional<int64_t> d = wrapped(dim, self.dim());
  if (!d || !index.isInt())
    return c10::nullopt;
  int64_t size = self.size(*d), i = index.toInt();
  if (i < -size || i >= size)
    return c10::nullopt;
  if (i < 0)
    i += size;
  Sizes sizes = self.sizes().vec(), strides = self.strides().vec();
  int64_t offset = self.storage_offset() + i * strides[*d];
  sizes.erase(sizes.begin() + *d);
  strides.erase(strides.begin() + *d);
  return viewOf(self, sizes, strides, offset);
}

/// slice.Tensor(self, dim, start, end, step): start and end counted from
/// the end where negative, then clamped to the dimension; a positive step.
c10::optional<IValue> slice(const at::Tensor &self, const IValue &dim,
                            const IValue &startValue, const IValue &endValue,
                            const IValue &stepValue) {
  c10::optional<int64_t> d = wrapped(dim, self.dim());
  if (!d || !(startValue.isNone() || startValue.isInt()) ||
      !(endValue.isNone() || endValue.isInt()) || !stepValue.isInt())
    return c10::nullopt;
  int64_t step = stepValue.toInt();
  if (step <= 0)
    return c10::nullopt;
  constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();
  int64_t size = self.size(*d);
  int64_t start = startValue.isNone() ? 0 : startValue.toInt();
  int64_t end = endValue.isNone() ? kUnbounded : endValue.toInt();
  if (start < 0)
    start += size;
  if (end < 0)
    end += size;
  start = start < 0 ? 0 : std::min(start, size);
  end = end < start ? start : std::min(end, size);
  Sizes sizes = self.sizes().vec(), strides = self.strides().vec();
  int64_t offset = self.storage_offset() + start * strides[*d];
  sizes[*d] = (end - start + step - 1) / step;
  strides[*d] *= step;
  return viewOf(self, sizes, strides, offset);
}

/// contiguous(self, memory_format=contiguous_format): `self` where it is
/// contiguous, else a contiguous copy.
c10::optional<IValue> contiguous(const IValue &selfValue,
                                 const IValue &format) {
  if (!selfValue.isTensor() || !format.isInt() ||
      format.toInt() != static_cast<int64_t>(c10::MemoryFormat::Contiguous))
    return c10::nullopt;
  const at::Tensor &self = selfValue.toTensor();
  if (!self.defined() || !self.is_meta() || self.layout() != c10::kStrided)
    return c10::nullopt;
  if (self.is_contiguous())
    return selfValue;
  return contiguousCopy(self, self.sizes());
}

} // namespace

bool isViewFormula(c10::string_view name, c10::string_view overload) {
  if (overload.empty())
    return name == "permute" || name == "unsqueeze" || name == "view" ||
           name == "reshape" || name == "contiguous";
  return (name == "transpose" && overload == "int") ||
         (name == "select" && overload == "int") ||
         (name == "slice" && overload == "Tensor") ||
         (name == "flatten" && overload == "using_ints");
}

c10::optional<IValue> viewByFormula(c10::string_view name,
                                    const torch::jit::Stack &stack) {
  if (name == "contiguous")
    return stack.size() == 2 ? contiguous(stack[0], stack[1]) : c10::nullopt;
  if (name == "flatten")
    return flatten(stack);
  if (stack.empty() || !viewMayBeItsOwn(stack[0]))
    return c10::nullopt;
  const at::Tensor &self = stack[0].toTensor();
  size_t arguments = stack.size();
  if (name == "view" && arguments == 2)
    return view(self, stack[1]);
  if (name == "reshape" && arguments == 2) {
    c10::optional<Sizes> shape = inferShape(stack[1], self.numel());
    return shape ? reshape(self, *shape) : c10::nullopt;
  }
  if (name == "transpose" && arguments == 3)
    return transpose(self, stack[1], stack[2]);
  if (name == "permute" && arguments == 2)
    return permute(self, stack[1]);
  if (name == "unsqueeze" && arguments == 2)
    return unsqueeze(self, stack[1]);
  if (name == "select" && arguments == 3)
    return select(self, stack[1], stack[2]);
  if (name == "slice" && arguments == 5)
    return slice(self, stack[1], stack[2], stack[3], stack[4]);
  return c10::nullopt;
}

} // namespace evaluate
} // namespace s2t
