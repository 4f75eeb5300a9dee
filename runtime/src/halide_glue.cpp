// The only file that talks to the Halide runtime's global hooks.
#include <mutex>

#include "internal.h"
#include "scratch_memory.h"
#include "thread_pool.h"

namespace convgen::detail {

namespace {
thread_local std::string last_halide_error;

// Halide calls this instead of aborting; the kernel then returns non-zero and
// check_kernel_result turns the message into a convgen::Error.
void record_halide_error(void *, const char *msg) { last_halide_error = msg ? msg : ""; }
}  // namespace

void install_halide_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        halide_set_error_handler(record_halide_error);
        // Parallel loops on convgen's pool, scratch from a shared block cache: see their
        // headers.
        halide_set_custom_do_par_for(pool_parallel_for);
        halide_set_custom_malloc(scratch_malloc);
        halide_set_custom_free(scratch_free);
    });
}

void check_kernel_result(int rc, const std::string &variant) {
    if (rc == 0) return;
    std::string msg = last_halide_error;
    last_halide_error.clear();
    if (msg.empty()) msg = "error code " + std::to_string(rc);
    fail(ErrorCode::kernel_failed, "", "convgen kernel " + variant + " failed: " + msg);
}

void check_kernel_result(int rc, const std::string &variant, const std::string &schedule) {
    if (rc == 0) return;
    if (!is_autoscheduled(schedule)) check_kernel_result(rc, variant);
    std::string msg = last_halide_error;
    last_halide_error.clear();
    if (msg.empty()) msg = "error code " + std::to_string(rc);
    fail(ErrorCode::unsupported, "options.variant",
         "options.variant = '" + variant + "' is a benchmark baseline that " + schedule +
             " tiled for the layer its generator estimated (generators/generator_support.h "
             "Estimates); it cannot run this shape: " + msg);
}

BufferView::BufferView(const PackedBuffer &p) {
    int stride = 1;
    for (size_t i = 0; i < p.extents.size(); i++) {
        dims[i] = halide_dimension_t(0, p.extents[i], stride);
        stride *= p.extents[i];
    }
    buf.host = reinterpret_cast<uint8_t *>(const_cast<float *>(p.data.data()));
    buf.type = halide_type_t(halide_type_float, 32);
    buf.dimensions = static_cast<int>(p.extents.size());
    buf.dim = dims;
}

BufferView::BufferView(const float *data, const TensorDesc &d) {
    const auto s = d.effective_strides();  // n, h, w, c
    dims[0] = halide_dimension_t(0, static_cast<int32_t>(d.c), static_cast<int32_t>(s[3]));
    dims[1] = halide_dimension_t(0, static_cast<int32_t>(d.w), static_cast<int32_t>(s[2]));
    dims[2] = halide_dimension_t(0, static_cast<int32_t>(d.h), static_cast<int32_t>(s[1]));
    dims[3] = halide_dimension_t(0, static_cast<int32_t>(d.n), static_cast<int32_t>(s[0]));
    // Halide never writes an input buffer; the cast only satisfies the C ABI.
    buf.host = reinterpret_cast<uint8_t *>(const_cast<float *>(data));
    buf.type = halide_type_t(halide_type_float, 32);
    buf.dimensions = 4;
    buf.dim = dims;
}

void BufferView::crop_channels(int64_t begin, int32_t count) {
    buf.host += begin * dims[0].stride * int64_t(sizeof(float));
    dims[0].extent = count;
}

}  // namespace convgen::detail
