// A network as bench/network_peers.py writes it for convgen_network (and onednn_network):
// DIR/network.txt, one item per line ('#' starts a comment),
//   input H W C FILE                          NHWC input, batch 1
//   conv C_IN C_OUT K STRIDE W_FILE B_FILE    KxK standard conv, weights HWIO [K][K][C_IN][C_OUT]
//   sep C_IN C_OUT K STRIDE DW_W DW_B PW_W PW_B
//                                             KxK depthwise (weights [K][K][C_IN]) then 1x1
//                                             pointwise (weights [C_IN][C_OUT])
// and raw little-endian float32 files beside it. Every conv has its bias, then ReLU6, and
// TensorFlow SAME padding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace convgen_bench {

struct NetworkLayer {
    enum class Kind { conv, sep } kind;
    int c_in, c_out, k, stride;
    std::vector<std::vector<float>> weights;  // conv: w, b; sep: dw_w, dw_b, pw_w, pw_b
};

struct Network {
    int h = 0, w = 0, c = 0;
    std::vector<float> input;
    std::vector<NetworkLayer> layers;
};

// Throws std::runtime_error naming the file and line of anything malformed or missing.
Network read_network(const std::filesystem::path &dir);
std::vector<float> read_floats(const std::filesystem::path &path, int64_t expected);
void write_floats(const std::filesystem::path &path, const float *data, int64_t count);

// This process's peak resident memory in KiB (VmHWM of /proc/self/status; 0 if unreadable).
// Not getrusage's ru_maxrss: a child's counts the RSS its parent had when it forked.
long peak_rss_kib();

// TensorFlow SAME along one axis: output ceil(in / stride), the odd pixel of padding at the
// end (bottom/right).
struct SamePadding {
    int out, lo, hi;
};
SamePadding same_padding(int in, int k, int stride);

}  // namespace convgen_bench
