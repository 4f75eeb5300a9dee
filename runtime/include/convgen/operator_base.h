// The part of an operator's API that does not depend on where it runs: its descriptor and the
// output shape for an input. The CPU operators (operators.h) and the GPU ones (gpu.h) derive
// from OperatorBase<Desc>, so these are written once for both; the rest of their common API
// (run, implementation() and implementation(input)) is checked to match at compile time by
// tests/test_gpu.cpp (OperatorApi).
#pragma once

#include "counting.h"
#include "params.h"
#include "tensor.h"

namespace convgen::detail {

template <class Desc>
class OperatorBase {
public:
    const Desc &desc() const { return desc_; }
    TensorDesc output_desc(const TensorDesc &input) const {
        return convgen::output_desc(desc_, input);
    }

protected:
    explicit OperatorBase(const Desc &desc) : desc_(desc) {}
    Desc desc_;
};

}  // namespace convgen::detail
