// GPU schedules (CUDA and OpenCL targets), separate from the CPU ones. Every op is laid out the
// same way (DESIGN §4, CUDA): each thread keeps a tile of tile_channels consecutive output
// channels x tile_x pixels x tile_y rows in registers for the whole reduction; threads of a
// block span threads_c tiles across channels (adjacent lanes read adjacent channels of NHWC rows:
// coalesced), threads_x across pixels and threads_y across rows; blocks span the rest of the
// channels, pixels and (rows, image). One kernel launch per call, whatever the size.
// The fused separable stages each block's depthwise tile (all intermediate channels x the
// block's pixels) in shared memory, where the pointwise threads read it: it never reaches
// global memory.
//
// Knobs (declared with their defaults in gpu_knobs.cpp; schedules/knobs.h; per backend with
// the prefix "cuda." or "opencl."):
//   tile_channels, tile_x, tile_y    register tile per thread (channels, pixels, rows); named
//                                    apart from the CPU's tile_c, which counts vectors
//   threads_c, threads_x, threads_y  threads per block (across channel, pixel and row tiles);
//                                    the fused separable tiles one row (no tile_y, threads_y)
//   separable only: channels_in_block (0, default: channel slices are separate blocks, each
//   computing the depthwise tile; 1: one block walks all output channels of its pixels, so its
//   depthwise tile is computed once),
//   shared_kb (the shared memory a block may use for its depthwise tile).
#pragma once

#include "../schedule.h"

namespace convgen::sched::gpu {

void schedule_conv2d(algo::Conv2d &p, const Problem &problem, Knobs &knobs);
void schedule_depthwise(algo::Depthwise &p, const Problem &problem, Knobs &knobs);
void schedule_pointwise(algo::Pointwise &p, const Problem &problem, Knobs &knobs);
void schedule_separable(algo::Separable &p, const Problem &problem, Knobs &knobs);

}  // namespace convgen::sched::gpu
