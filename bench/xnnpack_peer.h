// XNNPACK as a peer (compiled in when CMake finds it: CONVGEN_BENCH_XNNPACK). One
// xnn_create_convolution2d_nhwc_f32 operator per benchmark (NHWC, XNNPACK's own packed weights),
// bias and ReLU6 fused (output_min 0, output_max 6), on a pthreadpool of the benchmark's threads.
#pragma once

#include "peer.h"

namespace convgen_bench {

// Label "xnnpack:nhwc". Throws std::runtime_error when XNNPACK refuses the problem.
PeerJob make_xnnpack_job(PeerOp op, const Problem &p, int threads);

}  // namespace convgen_bench
