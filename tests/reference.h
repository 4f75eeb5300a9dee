// An independent naive reference: plain loops over the user-layout weights, double accumulation,
// its own padding arithmetic. It shares nothing with the kernels but the public descriptors.
#pragma once

#include <vector>

#include "convgen/params.h"
#include "convgen/tensor.h"

namespace ref {

struct Out {
    convgen::TensorDesc desc;
    std::vector<float> data;  // dense NHWC
};

Out conv2d(const convgen::Conv2dDesc &d, const float *hwio, const float *bias,
           const convgen::TensorDesc &in, const float *x);
Out depthwise(const convgen::DepthwiseDesc &d, const float *w, const float *bias,
              const convgen::TensorDesc &in, const float *x);
Out pointwise(const convgen::PointwiseDesc &d, const float *w, const float *bias,
              const convgen::TensorDesc &in, const float *x);
Out separable(const convgen::SeparableDesc &d, const float *dw_w, const float *dw_b,
              const float *pw_w, const float *pw_b, const convgen::TensorDesc &in,
              const float *x);

// The block from the references above: pointwise expansion (none where expanded == in),
// depthwise, pointwise projection, then the input added where d.has_residual().
Out inverted_residual(const convgen::InvertedResidualDesc &d, const float *expand_w,
                      const float *expand_b, const float *dw_w, const float *dw_b,
                      const float *project_w, const float *project_b,
                      const convgen::TensorDesc &in, const float *x);

}  // namespace ref
