// oneDNN as a peer on the same layers (compiled in when CMake finds oneDNN: CONVGEN_BENCH_ONEDNN).
// One oneDNN forward-inference convolution per benchmark, with bias and ReLU6 (eltwise_clip
// post-op) fused, every layout left to oneDNN (format_tag::any); inputs and weights are
// reordered into the layouts it picked once, outside the timed loop.
#pragma once

#include <string>
#include <vector>

#include "peer.h"

namespace convgen_bench {

// Label "onednn:<impl_info_str()> <src layout>". Throws std::exception when oneDNN has no
// implementation.
PeerJob make_onednn_job(PeerOp op, const Problem &p);
// Before any benchmark thread starts, with every --convgen_threads value: a oneDNN whose CPU
// threads are TBB's (oneDNN 3 from PyPI) needs exactly one, and the process is pinned to that
// many CPUs (throws std::invalid_argument otherwise); an OpenMP oneDNN needs nothing.
void onednn_start(const std::vector<int> &threads);
// oneDNN's CPU threads for the next benchmark (OpenMP; TBB's are fixed by onednn_start).
void onednn_set_num_threads(int threads);
// "2.6.3"
std::string onednn_version();

}  // namespace convgen_bench
