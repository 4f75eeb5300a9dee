// A convolution problem as the tests and benchmarks describe it: every parameter of every op,
// printable as one benchdnn-style line so any failing case can be reproduced by reading it.
#pragma once

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "convgen/convgen.h"

namespace testing_support {

struct Problem {
    convgen::OpKind op = convgen::OpKind::conv2d;
    int n = 1, h = 9, w = 11;
    int ci = 16, co = 17, multiplier = 1;  // co unused by depthwise (= ci * multiplier)
    convgen::Window window{3, 3, 1, 1, 1, 1, convgen::Padding::symmetric(1)};
    bool bias = true;
    convgen::Activation act = convgen::Activation::relu();
    // separable's depthwise; the inverted residual's expansion and depthwise
    convgen::Activation dw_act = convgen::Activation::relu6();
    int expansion = 3;     // inverted residual: expanded channels = ci * expansion
    bool residual = true;  // inverted residual: add the input where the shapes allow
    bool strided = false;  // input and output with gaps between pixels, rows and images
    bool rows_back_to_back = false;  // strided: no gap between rows
    bool guarded = false;  // every buffer flush against a PROT_NONE page (GuardedFloats)

    std::string str() const;
    // The shape as a problem string (problems/problem_string.h), which convgen_bench
    // --convgen_problem and convgen-tune --problem accept, or "" where the grammar cannot say it
    // (strides or dilations that differ per axis, asymmetric explicit padding). Bias,
    // activations and layout are not part of it. Failure messages print it.
    std::string problem_string() const;
    // str() and, where there is one, the problem string: what a failure message names.
    std::string describe() const;
    // True if the window leaves at least one output pixel.
    bool has_output() const;

    convgen::Conv2dDesc conv2d() const { return {ci, co, window, act}; }
    convgen::DepthwiseDesc depthwise() const { return {ci, multiplier, window, act}; }
    convgen::PointwiseDesc pointwise() const { return {ci, co, act}; }
    convgen::SeparableDesc separable() const {
        return {ci, multiplier, co, window, dw_act, act};
    }
    convgen::InvertedResidualDesc inverted_residual() const {
        return {ci, ci * expansion, co, window, dw_act, dw_act, act, residual};
    }
};

// The coverage grid for one op: a base case, then each parameter swept through its values
// (kernels 1,3,5,7,3x5; strides; dilations; symmetric, asymmetric, SAME, VALID padding; channels
// 1,3,16,17,64; odd sizes; batch 1 and 3; multiplier 1 and 2; bias; every activation; strided
// tensors), plus seeded random combinations.
std::vector<Problem> grid(convgen::OpKind op);

// The problem made acceptable to a variant: its fixed parameters replace the problem's.
Problem fit_to(Problem p, const convgen::VariantInfo &v);

// A random problem of `op` from a wide distribution (kernels 1..7 and non-square, strides 1..4
// per axis, dilations 1..3, SAME / VALID / asymmetric and over-reaching explicit padding,
// channels 1..80 with primes, multipliers 1..4, batch 1..4, sizes down to below the kernel,
// strided tensors), its naive-reference work capped so that thousands run in seconds. It may
// leave no output (has_output() false): convgen must then refuse it.
Problem random_problem(convgen::OpKind op, std::mt19937 &rng);

// Floats in their own mapping, flush against a PROT_NONE page after them and with one before
// them, so a kernel that reads or writes past either end faults instead of passing unseen.
class GuardedFloats {
public:
    explicit GuardedFloats(size_t count, float fill = 0.0f);
    ~GuardedFloats();
    GuardedFloats(const GuardedFloats &) = delete;
    GuardedFloats &operator=(const GuardedFloats &) = delete;
    float *data() { return data_; }
    const float *data() const { return data_; }
    size_t size() const { return count_; }
    float &operator[](size_t i) { return data_[i]; }
    float operator[](size_t i) const { return data_[i]; }

private:
    void *map_ = nullptr;
    size_t map_bytes_ = 0, count_ = 0;
    float *data_ = nullptr;
};

// Runs `p` through convgen (variant and ISA forced) and the reference; compares every output
// element, and checks that strided outputs' gaps were not written. in_workspace: the run takes
// its scratch from a workspace of exactly workspace_size() bytes (RunOptions), guard-paged
// when p.guarded.
::testing::AssertionResult matches_reference(const Problem &p,
                                             const convgen::OperatorOptions &options,
                                             bool in_workspace = false);

// The operator under test, made from the problem's weights (biases null when p.bias is false):
// its output shape for an input, and a call that runs it on host tensors.
struct OperatorUnderTest {
    std::function<convgen::TensorDesc(const convgen::TensorDesc &)> output_desc;
    std::function<void(const convgen::ConstTensor &, const convgen::Tensor &)> run;
};
struct ProblemWeights {
    // conv2d/depthwise/pointwise: w1, b1; separable: w1..b2 (depthwise, pointwise); inverted
    // residual: all six (expansion, depthwise, projection; w1 and b1 null without expansion)
    const float *w1, *b1, *w2, *b2, *w3 = nullptr, *b3 = nullptr;
};
using MakeOperator = std::function<OperatorUnderTest(const Problem &, const ProblemWeights &)>;
// As above, for any implementation of the op (e.g. the GPU operators of tests/test_gpu.cpp).
::testing::AssertionResult matches_reference(const Problem &p, const MakeOperator &make);

// Whether a Halide autoscheduler scheduled the variant (CPU or GPU).
bool autoscheduled(const convgen::VariantInfo &v);

// Runs a variant over the op's grid against the reference (`check` runs one problem and
// returns matches_reference's result). An autoscheduled variant tiles the output with
// shift-inwards tails, so an output smaller than one tile must be refused with Halide's bounds
// check (a clean kernel_failed error naming the buffer, nothing computed or written); such a
// problem is checked to be refused so, then run grown to at least 64 input and output channels
// at 28x28 (conv2d first tries 16 input channels; Li2018's GPU conv2d splits them by 64), so
// every parameter of the grid is still exercised. Returns the number of distinct problems run.
int run_grid(const convgen::VariantInfo &v,
             const std::function<::testing::AssertionResult(const Problem &)> &check,
             int *refused = nullptr);

}  // namespace testing_support
