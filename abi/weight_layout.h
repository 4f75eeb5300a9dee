// How the GEMM ops' weights (pointwise, the fused separable's pointwise half, conv2d) lie in
// memory when a kernel reads them: in blocks of `block` output channels, each block holding its
// channels for every reduction row (input channel, and tap for conv2d) in turn. Halide
// dimension order (innermost first):
//   pointwise  (j, ci, b)          holds  W[ci][b * block + j]           (user layout IO)
//   conv2d     (j, ci, kx, ky, b)  holds  W[ky][kx][ci][b * block + j]   (user layout HWIO)
// with the last block's channels past c_out zero: the user's layout with its rows (all but
// the output channel) kept in order, cut into column blocks. x86 CPU kernels take blocks of
// kX86WeightBlock channels; AArch64 and GPU kernels one block of all channels (kWholeBlock:
// the plain layout).
//
// Why blocks: a CPU kernel's register tile reads a few vectors of output channels for every
// input channel. In the plain layout those are c_out floats apart (4 KiB at 1024 channels:
// a new page per input channel, a stride the hardware prefetchers do not follow), so a layer
// whose weights are out of cache, as in a network, waited on memory for each one. In blocks,
// the tile's weight panel is copied from one sequential stream per block. The AArch64
// schedules read weights in place (no panels; unmeasured on ARM hardware), and in place
// Halide loads a vector of a block lane by lane wherever it cannot prove that a tile starts
// on a block, so they keep the plain layout.
//
// The generators (generators/generator_support.h), the CPU schedules' panels, the runtime's
// packing and the tuner's runners all take the layout from here. Needs only the C++ library.
#pragma once

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace convgen::abi {

// One block of all output channels: the plain IO / HWIO layout.
inline constexpr int kWholeBlock = 0;
// Output channels per block in x86 CPU kernels: one AVX-512 vector, a cache line.
inline constexpr int kX86WeightBlock = 16;

// The block a kernel for a target takes (a generator asks with its target).
constexpr int weight_block_for(bool x86_cpu) { return x86_cpu ? kX86WeightBlock : kWholeBlock; }

// The block the CPU kernels of the architecture this file is compiled for take.
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
inline constexpr int kCpuWeightBlock = weight_block_for(true);
#else
inline constexpr int kCpuWeightBlock = weight_block_for(false);
#endif

// Channels in one block: `block`, or all c_out for kWholeBlock.
constexpr int64_t block_width(int64_t block, int64_t c_out) { return block > 0 ? block : c_out; }

// Blocks that hold c_out channels.
constexpr int64_t weight_blocks(int64_t c_out, int64_t block) {
    const int64_t width = block_width(block, c_out);
    return (c_out + width - 1) / width;
}

// Floats in the blocked layout of `rows` reduction rows x c_out output channels.
constexpr int64_t blocked_weight_elements(int64_t rows, int64_t c_out, int64_t block) {
    return weight_blocks(c_out, block) * rows * block_width(block, c_out);
}

// The blocked buffer's extents, Halide order: (block width, rows..., blocks); rows innermost
// first (c_in, and kw, kh for conv2d).
inline std::vector<int> blocked_weight_extents(std::vector<int> rows, int c_out, int block) {
    rows.insert(rows.begin(), int(block_width(block, c_out)));
    rows.push_back(int(weight_blocks(c_out, block)));
    return rows;
}

// The same for this architecture's CPU kernels (kCpuWeightBlock): what the tuner's runners and
// the tuned-kernel check pass them.
inline std::vector<int> cpu_blocked_weight_extents(std::vector<int> rows, int c_out) {
    return blocked_weight_extents(std::move(rows), c_out, kCpuWeightBlock);
}

// Packs src (rows x c_out floats, row-major: IO, or HWIO with rows = kh * kw * c_in) into dst
// (blocked_weight_elements floats).
inline void pack_blocked_weights(const float *src, int64_t rows, int64_t c_out, int64_t block,
                                 float *dst) {
    const int64_t blocks = weight_blocks(c_out, block);
    block = block_width(block, c_out);
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
