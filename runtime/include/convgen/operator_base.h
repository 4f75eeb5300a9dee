// The API every operator shares, CPU or GPU, written once: its descriptor, the output shape for
// an input, run() and implementation(). What differs between the two is a Backend (operators.h:
// CpuBackend; gpu.h: GpuBackend): the options one run takes, what implementation() reports, the
// runtime's state behind the operator, and the state's calls. The CPU operators add
// workspace_size(), the GPU ones warm_up(); tests/test_gpu.cpp (OperatorApi) checks the twins.
#pragma once

#include <memory>

#include "counting.h"
#include "params.h"
#include "tensor.h"

namespace convgen::detail {

template <class Desc, class Backend>
class Operator {
public:
    using RunOptions = typename Backend::RunOptions;
    using Implementation = typename Backend::Implementation;

    const Desc &desc() const { return desc_; }
    TensorDesc output_desc(const TensorDesc &input) const {
        return convgen::output_desc(desc_, input);
    }
    void run(const ConstTensor &input, const Tensor &output) const {
        Backend::run(*state_, input, output, RunOptions{});
    }
    void run(const ConstTensor &input, const Tensor &output, const RunOptions &options) const {
        Backend::run(*state_, input, output, options);
    }
    // The general choice, and what run() takes for this input (see Implementation).
    const Implementation &implementation() const { return Backend::implementation(*state_); }
    const Implementation &implementation(const TensorDesc &input) const {
        return Backend::implementation(*state_, input);
    }

protected:
    explicit Operator(const Desc &desc) : desc_(desc) {}
    Desc desc_;
    std::shared_ptr<const typename Backend::State> state_;
};

}  // namespace convgen::detail
