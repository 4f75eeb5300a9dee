// Input validation: every check names the field and the value that failed it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>

#include "internal.h"
#include "weight_layout.h"
#include "window_math.h"

namespace convgen::detail {

namespace {
// Kernels index with int32 and address at most 2^31 bytes (Halide without large_buffers).
constexpr int64_t kMaxBytes = (int64_t(1) << 31) - 1;
// Window parameters are bounded so that x * stride + k * dilation - pad never overflows int32.
constexpr int64_t kMaxWindowParam = (int64_t(1) << 24) - 1;

std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

void fail(ErrorCode code, const std::string &field, const std::string &message) {
    throw Error(code, field, message);
}

void check_positive(const std::string &field, int64_t value) {
    if (value <= 0) {
        fail(ErrorCode::invalid_argument, field, field + " = " + str(value) + " must be positive");
    }
}

void check_not_null(const std::string &field, const void *p) {
    if (!p) fail(ErrorCode::invalid_argument, field, field + " is null");
}

// The field's name ("<prefix>.<name>") is built only when the check fails: output_desc()
// validates the window on every call.
static void check_window_param(const std::string &prefix, const char *name, int64_t value,
                               int64_t min) {
    if (value >= min && value <= kMaxWindowParam) return;
    const std::string field = prefix + "." + name;
    if (value < min) {
        fail(ErrorCode::invalid_argument, field,
             field + " = " + str(value) + " must be >= " + str(min));
    }
    fail(ErrorCode::overflow, field,
         field + " = " + str(value) + " exceeds the limit " + str(kMaxWindowParam));
}

void validate_window(const Window &w, const std::string &p) {
    check_window_param(p, "kernel_h", w.kernel_h, 1);
    check_window_param(p, "kernel_w", w.kernel_w, 1);
    check_window_param(p, "stride_h", w.stride_h, 1);
    check_window_param(p, "stride_w", w.stride_w, 1);
    check_window_param(p, "dilation_h", w.dilation_h, 1);
    check_window_param(p, "dilation_w", w.dilation_w, 1);
    check_window_param(p, "dilated kernel_h", int64_t(w.dilation_h) * (w.kernel_h - 1) + 1, 1);
    check_window_param(p, "dilated kernel_w", int64_t(w.dilation_w) * (w.kernel_w - 1) + 1, 1);
    switch (w.padding.mode) {
    case Padding::Mode::explicit_pads:
        check_window_param(p, "padding.top", w.padding.top, 0);
        check_window_param(p, "padding.left", w.padding.left, 0);
        check_window_param(p, "padding.bottom", w.padding.bottom, 0);
        check_window_param(p, "padding.right", w.padding.right, 0);
        break;
    case Padding::Mode::same:
    case Padding::Mode::valid: break;
    default:
        fail(ErrorCode::invalid_argument, p + ".padding.mode",
             p + ".padding.mode = " + str(static_cast<int>(w.padding.mode)) + " is not a mode");
    }
}

void validate_activation(const Activation &a, const std::string &field) {
    switch (a.kind) {
    case Activation::Kind::none:
    case Activation::Kind::relu:
    case Activation::Kind::relu6:
    case Activation::Kind::hard_swish:
    case Activation::Kind::silu: return;
    case Activation::Kind::clamp:
        if (std::isnan(a.min) || std::isnan(a.max) || a.min > a.max) {
            fail(ErrorCode::invalid_argument, field,
                 field + " clamp [" + std::to_string(a.min) + ", " + std::to_string(a.max) +
                     "] needs min <= max, neither NaN");
        }
        return;
    }
    fail(ErrorCode::invalid_argument, field + ".kind",
         field + ".kind = " + str(static_cast<int>(a.kind)) + " is not an activation");
}

int64_t checked_elements(const std::string &field, std::initializer_list<int64_t> extents) {
    int64_t n = 1;
    size_t dims = 0;
    for (int64_t e : extents) {
        dims++;
        if (__builtin_mul_overflow(n, e, &n) || n > kMaxBytes / int64_t(sizeof(float))) {
            std::string shape;  // the extents up to the one that overflowed
            for (int64_t x : extents) {
                shape += (shape.empty() ? "" : "x") + str(x);
                if (--dims == 0) break;
            }
            fail(ErrorCode::overflow, field,
                 field + " of shape " + shape + "... exceeds 2^31 bytes, the kernels' limit");
        }
    }
    return n;
}

// Number of elements from the first to the last addressed element, or fails.
static int64_t span_elements(const std::string &name, const TensorDesc &d) {
    const auto s = d.effective_strides();
    const int64_t ext[4] = {d.n, d.h, d.w, d.c};
    int64_t span = 1;
    for (int i = 0; i < 4; i++) {
        int64_t term;
        if (__builtin_mul_overflow(ext[i] - 1, s[i], &term) ||
            __builtin_add_overflow(span, term, &span) ||
            span > kMaxBytes / int64_t(sizeof(float))) {
            fail(ErrorCode::overflow, name,
                 name + " " + d.to_string() + " spans more than 2^31 bytes, the kernels' limit");
        }
    }
    return span;
}

void validate_tensor(const std::string &name, const void *data, const TensorDesc &d,
                     int64_t expected_channels) {
    check_not_null(name + ".data", data);
    if (d.dtype != DataType::f32) {
        fail(ErrorCode::unsupported, name + ".dtype", name + ".dtype: only f32 is supported");
    }
    check_positive(name + ".n", d.n);
    check_positive(name + ".h", d.h);
    check_positive(name + ".w", d.w);
    check_positive(name + ".c", d.c);
    if (d.c != expected_channels) {
        fail(ErrorCode::invalid_argument, name + ".c",
             name + ".c = " + str(d.c) + " does not match the operator's " +
                 str(expected_channels) + " channels");
    }
    checked_elements(name, {d.n, d.h, d.w, d.c});
    if (d.strides != std::array<int64_t, 4>{}) {
        const auto &s = d.strides;
        if (s[3] != 1) {
            fail(ErrorCode::unsupported, name + ".strides[3]",
                 name + ".strides[3] (channels) = " + str(s[3]) + ": channels must be dense");
        }
        // The kernels take int32 strides, whatever the extent (even 1) they step over.
        for (int i = 0; i < 3; i++) {
            if (s[i] > std::numeric_limits<int32_t>::max()) {
                fail(ErrorCode::overflow, name + ".strides[" + str(i) + "]",
                     name + ".strides[" + str(i) + "] = " + str(s[i]) +
                         " exceeds the kernels' int32 stride limit");
            }
        }
        // Images, rows and pixels must not overlap: each stride steps past everything the
        // dimensions inside it address. A dimension of extent 1 is never stepped, so its stride
        // is free (e.g. strides[0] = 0 for one image).
        const char *dim[3] = {"n", "h", "w"};
        const int64_t extent[3] = {d.n, d.h, d.w};
        int64_t inner[3];
        inner[2] = d.c;
        inner[1] = inner[2] + (d.w - 1) * s[2];
        inner[0] = inner[1] + (d.h - 1) * s[1];
        for (int i = 0; i < 3; i++) {
            if (extent[i] == 1 && s[i] >= 0) continue;
            if (s[i] < inner[i]) {
                fail(ErrorCode::invalid_argument, name + ".strides[" + str(i) + "]",
                     name + ".strides[" + str(i) + "] (" + dim[i] + ") = " + str(s[i]) +
                         " is less than the " + str(inner[i]) +
                         " elements inside it: elements would overlap");
            }
        }
    }
    span_elements(name, d);
}

void validate_output(const Tensor &out, const TensorDesc &expected, const ConstTensor &in) {
    validate_tensor("output", out.data, out.desc, expected.c);
    const char *names[3] = {"n", "h", "w"};
    const int64_t got[3] = {out.desc.n, out.desc.h, out.desc.w};
    const int64_t want[3] = {expected.n, expected.h, expected.w};
    for (int i = 0; i < 3; i++) {
        if (got[i] != want[i]) {
            fail(ErrorCode::invalid_argument, std::string("output.") + names[i],
                 std::string("output.") + names[i] + " = " + str(got[i]) + ", but input " +
                     in.desc.to_string() + " gives output " + expected.to_string());
        }
    }
    check_run_pointers(in, span_elements("input", in.desc) * int64_t(sizeof(float)), out,
                       span_elements("output", out.desc) * int64_t(sizeof(float)));
}

int64_t span_bytes(const TensorDesc &d) {
    return span_elements("tensor", d) * int64_t(sizeof(float));
}

bool bytes_overlap(const void *a, int64_t a_bytes, const void *b, int64_t b_bytes) {
    const auto *x = static_cast<const char *>(a);
    const auto *y = static_cast<const char *>(b);
    return x < y + b_bytes && y < x + a_bytes;
}

void check_run_pointers(const ConstTensor &in, int64_t in_bytes, const Tensor &out,
                        int64_t out_bytes) {
    if (!in.data) fail(ErrorCode::invalid_argument, "input.data", "input.data is null");
    if (!out.data) fail(ErrorCode::invalid_argument, "output.data", "output.data is null");
    if (bytes_overlap(out.data, out_bytes, in.data, in_bytes)) {
        fail(ErrorCode::unsupported, "output.data",
             "output.data overlaps input.data: convgen does not run in place");
    }
}

namespace {
bool same_desc(const TensorDesc &a, const TensorDesc &b) {
    return a.same_shape(b) && a.strides == b.strides && a.dtype == b.dtype;
}
}  // namespace

bool ShapeCache::lookup(const TensorDesc &in, const TensorDesc &out, int64_t &in_bytes,
                        int64_t &out_bytes) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < used_; i++) {
        const Entry &e = entries_[i];
        if (same_desc(in, e.input) && same_desc(out, e.output)) {
            in_bytes = e.in_bytes;
            out_bytes = e.out_bytes;
            return true;
        }
    }
    return false;
}

void ShapeCache::remember(const TensorDesc &in, const TensorDesc &out) const {
    const Entry e{in, out, span_bytes(in), span_bytes(out)};
    std::lock_guard<std::mutex> lock(mutex_);
    if (used_ < kEntries) {
        entries_[used_++] = e;
    } else {
        entries_[next_] = e;  // the oldest
        next_ = (next_ + 1) % kEntries;
    }
}

ResolvedPadding resolve_padding(const Window &w, const TensorDesc &in) {
    switch (w.padding.mode) {
    case Padding::Mode::explicit_pads: return {w.padding.top, w.padding.left};
    case Padding::Mode::valid: return {0, 0};
    case Padding::Mode::same: break;
    }
    return {int(window_math::same_pad_before(in.h, w.kernel_h, w.stride_h, w.dilation_h)),
            int(window_math::same_pad_before(in.w, w.kernel_w, w.stride_w, w.dilation_w))};
}

bool identity_activations(std::initializer_list<Activation> acts) {
    for (const Activation &a : acts) {
        if (kernel_activation(a).code != abi::ActivationCode::identity) return false;
    }
    return true;
}

KernelActivation kernel_activation(const Activation &a) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    using Code = abi::ActivationCode;
    switch (a.kind) {
    case Activation::Kind::relu: return {0.0f, inf, Code::identity};
    case Activation::Kind::relu6: return {0.0f, 6.0f, Code::identity};
    case Activation::Kind::clamp: return {a.min, a.max, Code::identity};
    case Activation::Kind::hard_swish: return {-inf, inf, Code::hard_swish};
    case Activation::Kind::silu: return {-inf, inf, Code::silu};
    case Activation::Kind::none: break;
    }
    return {-inf, inf, Code::identity};
}

PackedBuffer pack_copy(const float *src, int64_t count, std::vector<int> extents) {
    PackedBuffer p;
    p.extents = std::move(extents);
    p.data.assign(count, 0.0f);
    if (src) std::memcpy(p.data.data(), src, count * sizeof(float));
    return p;
}

PackedBuffer pack_blocked(const char *field, const float *src, std::vector<int> rows, int c_out,
                          int block) {
    int64_t rows_total = 1;
    for (int r : rows) rows_total *= r;
    // The last block's padding makes this at most block - 1 columns more than the input.
    const int64_t count = checked_elements(
        field, {rows_total, abi::weight_blocks(c_out, block) * abi::block_width(block, c_out)});
    PackedBuffer p;
    p.extents = abi::blocked_weight_extents(std::move(rows), c_out, block);
    p.data.resize(size_t(count));  // zeros
    if (src) abi::pack_blocked_weights(src, rows_total, c_out, block, p.data.data());
    return p;
}

}  // namespace convgen::detail
