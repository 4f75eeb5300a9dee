// How the GEMM ops' weights (pointwise, the fused separable's pointwise half, conv2d) lie in
// memory when a kernel reads them: in blocks of `block` output channels, each block holding its
// channels for every reduction row (input channel, and tap for conv2d) in turn. Halide
// dimension order (innermost first):
//   pointwise  (j, ci, b)          holds  W[ci][b * block + j]           (user layout IO)
//   conv2d     (j, ci, kx, ky, b)  holds  W[ky][kx][ci][b * block + j]   (user layout HWIO)
// with the last block's channels past c_out zero: the user's layout with its rows (all but
// the output channel) kept in order, cut into column blocks. CPU kernels take blocks of kCpuWeightBlock
// channels; GPU kernels take one block of all c_out channels (the plain IO layout).
//
// Why blocks: a CPU kernel's register tile reads a few vectors of output channels for every
// input channel. In the plain layout those are c_out floats apart (4 KiB at 1024 channels:
// a new page per input channel, a stride the hardware prefetchers do not follow), so a layer
// whose weights are out of cache, as in a network, waited on memory for each one. In blocks,
// the tile reads one sequential stream per vector.
//
// The generators (generators/generator_support.h), the runtime's packing and the tuner's
// runners all take the layout from here. Needs nothing but the C++ library.
#pragma once

#include <cstdint>
#include <cstring>

namespace convgen::abi {

// Output channels per block in the CPU kernels' weights: one AVX-512 vector, a cache line.
inline constexpr int kCpuWeightBlock = 16;

// Blocks that hold c_out channels.
constexpr int64_t weight_blocks(int64_t c_out, int64_t block) {
    return (c_out + block - 1) / block;
}

// Floats in the blocked layout of `rows` input channels x c_out output channels.
constexpr int64_t blocked_weight_elements(int64_t rows, int64_t c_out, int64_t block) {
    return weight_blocks(c_out, block) * rows * block;
}

// Packs src (rows x c_out floats, row-major: IO, or HWIO with rows = kh * kw * c_in) into dst
// (blocked_weight_elements floats).
inline void pack_blocked_weights(const float *src, int64_t rows, int64_t c_out, int64_t block,
                                 float *dst) {
    const int64_t blocks = weight_blocks(c_out, block);
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t first = b * block;
        const int64_t width = c_out - first < block ? c_out - first : block;
        for (int64_t r = 0; r < rows; r++) {
            float *to = dst + (b * rows + r) * block;
            std::memcpy(to, src + r * c_out + first, size_t(width) * sizeof(float));
            if (width < block) std::memset(to + width, 0, size_t(block - width) * sizeof(float));
        }
    }
}

}  // namespace convgen::abi
