// Operator objects, as in XNNPACK and oneDNN: create once from a descriptor and the weights
// (validated and packed into the kernel's layout once), then run() on new inputs many times.
// run() is const and thread-safe: several threads may run one operator on different buffers.
// RunOptions set one run's threads and give it the caller's workspace.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "operator_base.h"
#include "params.h"
#include "runtime.h"
#include "tensor.h"

namespace convgen {

// An application's own thread pool for an operator's parallel loops (OperatorOptions::executor),
// as XNNPACK takes a pthreadpool and oneDNN a threadpool interface. parallel_for must run
// body(context, i) for every i in [0, count), on any of its threads (the calling one included)
// and in any order, and return when all have finished. convgen never calls it from inside a
// body (a loop nested in a task runs serially).
class Executor {
public:
    virtual ~Executor() = default;
    // How many bodies may run at once: tuned variants are matched against it.
    virtual int threads() const = 0;
    virtual void parallel_for(int count, void (*body)(void *context, int i), void *context) = 0;
};

struct OperatorOptions {
    std::string variant;  // force a compiled variant by name (any shape; the benchmark
                          // baselines too where convgen_baselines is linked and registered);
                          // empty = the best that accepts
    Isa max_isa = kHighestIsa;  // never use a level above this (also capped by set_max_isa);
                                // a level of another architecture is an invalid_argument
    // This operator's runs use at most this many threads of convgen's pool (the caller
    // included; 1 = the calling thread only); 0 = all of it (set_num_threads).
    int threads = 0;
    // Run this operator's parallel loops on the application's pool instead of convgen's
    // (not owned: it must outlive the operator; `threads` is then ignored). nullptr = convgen's.
    Executor *executor = nullptr;
};

// Which compiled variant an operator runs, on which ISA, and why earlier candidates declined.
// implementation() is the general choice; implementation(input) is what run() uses for that
// input: a variant tuned for exactly its height and width at the current thread count
// (schedules/tuned/) when the build has one for this operator's channels and window, else the
// general choice. A tuned variant that does not run (tuned on another machine class, see
// tuned_policy(); or, in the general choice, only for its own input size and thread count) is
// listed in `declined` with the reason.
struct Implementation {
    std::string variant;
    Isa isa;
    std::string schedule;
    struct Declined {
        std::string variant, reason;
    };
    std::vector<Declined> declined;
    std::string reason;  // why this variant, where it is not simply the first that accepts
                         // (a tuned variant: its shape, threads and machine class)
    std::string to_string() const;
};

// Settings for one run() (RunOptions{} = the operator's own).
struct RunOptions {
    // This run uses at most this many threads of convgen's pool (the caller included), in place
    // of the operator's OperatorOptions::threads / executor; 0 = the operator's setting.
    int threads = 0;
    // This run's parallel loops on the application's pool (`threads` is then ignored);
    // nullptr = as above.
    Executor *executor = nullptr;
    // The caller's memory for the kernels' scratch (and the unfused Separable's intermediate),
    // in place of convgen's cache: at least workspace_size(input, options) bytes, any
    // alignment, used by one run at a time and overlapping neither tensor. A run given one
    // makes no heap allocation. nullptr (and 0 bytes) = convgen's cache.
    void *workspace = nullptr;
    size_t workspace_bytes = 0;
};

namespace detail {
struct OperatorState;

// The CPU side of detail::Operator (operator_base.h): RunOptions per run, Implementation, and
// the runtime's OperatorState (runtime/src/operator.cpp).
struct CpuBackend {
    using RunOptions = convgen::RunOptions;
    using Implementation = convgen::Implementation;
    using State = OperatorState;
    static void run(const State &s, const ConstTensor &input, const Tensor &output,
                    const RunOptions &options);
    static const Implementation &implementation(const State &s);
    static const Implementation &implementation(const State &s, const TensorDesc &input);
};

// CpuOperator::workspace_size.
size_t workspace_size_of(const OperatorState &s, const TensorDesc &input,
                         const RunOptions &options);

// Every CPU operator: detail::Operator's API, and workspace_size. Each operator adds its
// constructor, which validates and packs its weights.
template <class Desc>
class CpuOperator : public Operator<Desc, CpuBackend> {
public:
    // The workspace bytes a run on this input shape needs with these options' threads (the
    // workspace fields are ignored): for options.threads or the executor's threads() where set,
    // else for the pool's size now (set options.threads if another thread may change that).
    // The first query of a shape runs the kernel once on zeros to measure its scratch (input-
    // and output-sized temporaries); later ones are a look-up. It also starts convgen's pool
    // threads if they have not started, so that the runs it prepares allocate nothing.
    size_t workspace_size(const TensorDesc &input, const RunOptions &options = {}) const {
        return workspace_size_of(*this->state_, input, options);
    }

protected:
    explicit CpuOperator(const Desc &desc) : Operator<Desc, CpuBackend>(desc) {}
};
}  // namespace detail

class Conv2d : public detail::CpuOperator<Conv2dDesc> {
public:
    // weights: HWIO [kh][kw][in][out]; bias: [out] or nullptr.
    Conv2d(const Conv2dDesc &desc, const float *weights, const float *bias,
           const OperatorOptions &options = {});
};

class Depthwise : public detail::CpuOperator<DepthwiseDesc> {
public:
    // weights: [kh][kw][channels*multiplier]; bias: [channels*multiplier] or nullptr.
    Depthwise(const DepthwiseDesc &desc, const float *weights, const float *bias,
              const OperatorOptions &options = {});
};

class Pointwise : public detail::CpuOperator<PointwiseDesc> {
public:
    // weights: [in][out]; bias: [out] or nullptr.
    Pointwise(const PointwiseDesc &desc, const float *weights, const float *bias,
              const OperatorOptions &options = {});
};

// Fused depthwise-separable convolution: the depthwise result never goes to memory whole.
class Separable : public detail::CpuOperator<SeparableDesc> {
public:
    // dw_weights [kh][kw][in*multiplier], dw_bias [in*multiplier] or nullptr,
    // pw_weights [in*multiplier][out], pw_bias [out] or nullptr.
    Separable(const SeparableDesc &desc, const float *dw_weights, const float *dw_bias,
              const float *pw_weights, const float *pw_bias,
              const OperatorOptions &options = {});
};

// Fused inverted-residual block (InvertedResidualDesc): the expanded tensor never goes to
// memory whole. Where fusion does not pay (kernels.json fusion.inverted_residual), or the block
// has no expansion conv, it runs convgen's own ops instead; implementation() says which.
class InvertedResidual : public detail::CpuOperator<InvertedResidualDesc> {
public:
    // expand_weights [in][expanded] (nullptr when expanded_channels == in_channels: no
    // expansion conv), dw_weights [kh][kw][expanded], project_weights [expanded][out]; each
    // bias ([expanded], [expanded], [out]) or nullptr.
    InvertedResidual(const InvertedResidualDesc &desc, const float *expand_weights,
                     const float *expand_bias, const float *dw_weights, const float *dw_bias,
                     const float *project_weights, const float *project_bias,
                     const OperatorOptions &options = {});
};

// One-shot conveniences: create, run once, discard (weights are packed on every call).
void conv2d(const Conv2dDesc &desc, const float *weights, const float *bias,
            const ConstTensor &input, const Tensor &output);
void depthwise_conv2d(const DepthwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output);
void pointwise_conv2d(const PointwiseDesc &desc, const float *weights, const float *bias,
                      const ConstTensor &input, const Tensor &output);
void separable_conv2d(const SeparableDesc &desc, const float *dw_weights, const float *dw_bias,
                      const float *pw_weights, const float *pw_bias, const ConstTensor &input,
                      const Tensor &output);
void inverted_residual(const InvertedResidualDesc &desc, const float *expand_weights,
                       const float *expand_bias, const float *dw_weights, const float *dw_bias,
                       const float *project_weights, const float *project_bias,
                       const ConstTensor &input, const Tensor &output);

}  // namespace convgen
