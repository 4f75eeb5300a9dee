// Registers the baseline kernels (cmake/ConvgenVariants.cmake's convgen_baseline_*.inc and the
// GPU ones) with the runtime's dispatch tables.
#include "convgen_baselines.h"

#include <mutex>

#include "gpu_internal.h"
#include "op_traits.h"

#include "convgen_baseline_kernel_headers.inc"
#define CONVGEN_KERNEL CONVGEN_CHECK_KERNEL_TYPE
#include "convgen_baseline_kernels.inc"
#undef CONVGEN_KERNEL

#include "convgen_gpu_baseline_kernel_headers.inc"
#define CONVGEN_GPU_KERNEL CONVGEN_CHECK_GPU_KERNEL_TYPE
#include "convgen_gpu_baseline_kernels.inc"
#undef CONVGEN_GPU_KERNEL

namespace convgen {

void register_baselines() {
    static std::once_flag once;
    std::call_once(once, [] {
        detail::register_variants(
            {
#define CONVGEN_VARIANT CONVGEN_VARIANT_ROW
#include "convgen_baseline_variants.inc"
#undef CONVGEN_VARIANT
            },
            {
#define CONVGEN_KERNEL CONVGEN_KERNEL_ROW
#include "convgen_baseline_kernels.inc"
#undef CONVGEN_KERNEL
            });
        gpu::detail::register_gpu_kernels({
#define CONVGEN_GPU_KERNEL CONVGEN_GPU_KERNEL_ROW
#include "convgen_gpu_baseline_kernels.inc"
#undef CONVGEN_GPU_KERNEL
        });
    });
}

}  // namespace convgen
