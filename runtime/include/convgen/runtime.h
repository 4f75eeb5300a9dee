// Process-wide settings and the catalogue of compiled variants.
#pragma once

#include <string>
#include <vector>

namespace convgen {

// x86 instruction-set levels the kernels are compiled for, lowest first.
enum class Isa { sse41, avx2, avx512 };
const char *to_string(Isa isa);
Isa isa_from_string(const std::string &name);  // "sse41" | "avx2" | "avx512"

// The best level this CPU supports. Throws unsupported if it lacks even SSE4.1.
Isa detected_isa();
// Caps the level new operators choose (like oneDNN's DNNL_MAX_CPU_ISA). Default: no cap.
void set_max_isa(Isa isa);
Isa max_isa();

// Worker threads of the kernels' thread pool (>= 1). Applies to the whole process; call it
// while no operator is running (lowering the count restarts the pool).
void set_num_threads(int threads);
int num_threads();

enum class OpKind { conv2d, depthwise, pointwise, separable };
const char *to_string(OpKind op);

// One compiled variant, as listed in kernels.json. Fixed parameters are 0 where any is accepted.
struct VariantInfo {
    OpKind op;
    std::string name;
    int kernel, stride, dilation, multiplier;
    std::string schedule;  // "hand" | "tuned" | "autoscheduler"
    std::vector<Isa> isas;
};
const std::vector<VariantInfo> &variants();

}  // namespace convgen
