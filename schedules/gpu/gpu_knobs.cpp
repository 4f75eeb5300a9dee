#include "gpu_knobs.h"

#include <stdexcept>

namespace convgen::sched::gpu {

namespace {
// Per thread: output channels, pixels and rows of its register tile; per block: threads
// across channel, pixel and row tiles.
const std::vector<int> kTileChannels{1, 2, 4, 8};
const std::vector<int> kTilePixels{1, 2, 4, 8};
const std::vector<int> kTileRows{1, 2, 4};
const std::vector<int> kThreadsC{4, 8, 16, 32};
const std::vector<int> kThreadsX{1, 2, 4, 8, 16};
const std::vector<int> kThreadsY{1, 2, 4};
const std::vector<int> kBool{0, 1};
const std::vector<int> kSharedKb{16, 32, 48};

// The standalone ops' block: 16 x 4 x 2 = 128 threads over 16 channel tiles x 4 x 2 pixel
// tiles; with 2 x 2-pixel register tiles it covers 8 x 4 pixels, so even the 7 x 7 outputs of
// MobileNet's last layers fill most of a block.
std::vector<KnobDecl> standalone(int tile_channels, int tile_x, int tile_y) {
    return {
        {"tile_channels", tile_channels, kTileChannels},
        {"tile_x", tile_x, kTilePixels},
        {"tile_y", tile_y, kTileRows},
        {"threads_c", 16, kThreadsC},
        {"threads_x", 4, kThreadsX},
        {"threads_y", 2, kThreadsY},
    };
}
}  // namespace

std::vector<KnobDecl> gpu_knobs(const std::string &op) {
    // conv2d and pointwise: 4 channels x 2 x 2 pixels = 16 accumulators per thread.
    if (op == "conv2d" || op == "pointwise") return standalone(4, 2, 2);
    // depthwise: 4 channels x 2 pixels, the taps' weights in registers across the two pixels.
    if (op == "depthwise") return standalone(4, 2, 1);
    if (op == "separable") {
        // A block owns threads_x x tile_x = 8 x 4 = 32 pixels of one row and threads_c x
        // tile_channels = 16 x 4 = 64 output channels (gpu_schedules.cpp).
        return {
            {"tile_channels", 4, kTileChannels},
            {"tile_x", 4, kTilePixels},
            {"threads_c", 16, kThreadsC},
            {"threads_x", 8, kThreadsX},
            {"channels_in_block", 0, kBool},
            {"shared_kb", 48, kSharedKb},
        };
    }
    throw std::invalid_argument("no GPU knobs for op '" + op + "'");
}

}  // namespace convgen::sched::gpu
