// Named layer sets for convgen_bench, as problem strings (problem_string.h):
//   tutorial      the tutorial example: NHWC [2,32,32,3], 3 -> 4 channels, 3x3, pad 1
//   mobilenet_v1  MobileNetV1 (224x224, width 1.0): its 13 depthwise-separable blocks as the 9
//                 distinct (c_in, c_out, size, stride) shapes (the 512->512 14x14 block occurs
//                 five times); tagged with the suite's historical names, e.g. c128_128_56_s1
//   mobilenet_v2  MobileNetV2 (224x224, width 1.0): the first 3x3 conv 3->32 stride 2, each
//                 inverted-residual block's expansion 1x1, 3x3 depthwise and projection 1x1
//                 from the published (t, c, n, s) table, and the last 1x1 conv 320->1280;
//                 each distinct layer shape once
//   efficientnet_b0  EfficientNet-B0 (224x224): the same for its MBConv stages, with 3x3 and
//                 5x5 depthwise, narrow projections (24, 40, 80, 112 channels) and the head
//                 1x1 320 -> 1280
//   mobilenet_v2_blocks  MobileNetV2's body as whole blocks: the stem conv, each distinct
//                 inverted-residual block as one ir problem (17 blocks, 12 distinct), the head
//   efficientnet_lite0_blocks  the same for EfficientNet-lite0 (EfficientNet-B0's MBConv
//                 stages without squeeze-and-excitation: 3x3 and 5x5 blocks)
//   xception      Xception (299x299): the two entry convs and its distinct separable convs,
//                 among them the middle flow's 728 -> 728 at 19x19 (24 of the network's 34)
#pragma once

#include <string>
#include <vector>

#include "problem_string.h"

namespace convgen_problems {

// The names accepted by layer_set(), in order.
const std::vector<std::string> &layer_set_names();
// The problems of a named set; throws ProblemError for an unknown name.
std::vector<Problem> layer_set(const std::string &name);

// MobileNetV1's body in network order, for timing it as one chain: the first conv 3->32 3x3
// stride 2 at 224, then the 13 separable blocks (the 512->512 14x14 block five times).
std::vector<Problem> mobilenet_v1_body();

// The inverted-residual networks' bodies in network order, each block one ir problem, between
// the stem conv 3->32 3x3 stride 2 at 224 and the head 1x1 -> 1280: MobileNetV2 (17 blocks)
// and EfficientNet-lite0 (16 blocks).
std::vector<Problem> mobilenet_v2_body();
std::vector<Problem> efficientnet_lite0_body();

}  // namespace convgen_problems
