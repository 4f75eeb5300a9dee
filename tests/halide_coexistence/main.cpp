// An application that links convgen (the installed static or shared library) beside another
// Halide-generated library with its own Halide runtime, and customises that runtime as imaging
// applications do (its own malloc, thread pool hook and error handler). convgen's Halide
// runtime is private (cmake/privatize_halide.cmake), so:
//   - running convgen leaves the application's runtime hooks in place, and
//   - both libraries compute the right results, before and after each other.
// With a shared runtime, convgen's first operator would install its own hooks over the
// application's, and the counters below would stay at zero.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <HalideBuffer.h>
#include <HalideRuntime.h>

#include <convgen/convgen.h>

#include "other_pipeline.h"

namespace {

std::atomic<int> app_mallocs{0}, app_par_fors{0}, app_errors{0};

void *app_malloc(void *user_context, size_t bytes) {
    app_mallocs++;
    return halide_default_malloc(user_context, bytes);
}
int app_do_par_for(void *user_context, halide_task_t task, int min, int size, uint8_t *closure) {
    app_par_fors++;
    return halide_default_do_par_for(user_context, task, min, size, closure);
}
void app_error(void *, const char *) { app_errors++; }

int failures = 0;
void check(bool ok, const std::string &what) {
    std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what.c_str());
    failures += ok ? 0 : 1;
}

// convgen pointwise 16 -> 8 on [1, 9, 9, 16] against a naive loop.
bool convgen_pointwise_is_right() {
    const int c_in = 16, c_out = 8, h = 9, w = 9;
    std::vector<float> x(h * w * c_in), wt(c_in * c_out), y(h * w * c_out);
    for (size_t i = 0; i < x.size(); i++) x[i] = std::sin(0.37f * float(i));
    for (size_t i = 0; i < wt.size(); i++) wt[i] = std::cos(0.11f * float(i));
    convgen::Pointwise pw({c_in, c_out, {}}, wt.data(), nullptr);
    pw.run({x.data(), convgen::TensorDesc::nhwc(1, h, w, c_in)},
           {y.data(), convgen::TensorDesc::nhwc(1, h, w, c_out)});
    double worst = 0;
    for (int p = 0; p < h * w; p++) {
        for (int co = 0; co < c_out; co++) {
            double want = 0;
            for (int ci = 0; ci < c_in; ci++) want += double(x[p * c_in + ci]) * wt[ci * c_out + co];
            worst = std::fmax(worst, std::fabs(want - y[p * c_out + co]));
        }
    }
    return worst < 1e-4;
}

bool other_pipeline_is_right() {
    const int w = 64, h = 32;
    Halide::Runtime::Buffer<float> in(w + 1, h), out(w, h);
    in.for_each_element([&](int x, int y) { in(x, y) = float(x + 3 * y); });
    if (other_pipeline(in, out) != 0) return false;
    bool ok = true;
    out.for_each_element([&](int x, int y) { ok &= out(x, y) == float(2 * x + 1 + 6 * y); });
    return ok;
}

}  // namespace

int main() {
    halide_set_custom_malloc(app_malloc);
    halide_set_custom_do_par_for(app_do_par_for);
    halide_set_error_handler(app_error);
    convgen::set_num_threads(2);

    check(convgen_pointwise_is_right(), "convgen pointwise matches the naive loop");
    check(other_pipeline_is_right(), "the other Halide library's output is right");
    check(app_mallocs > 0, "the other library allocated through the app's malloc (" +
                               std::to_string(app_mallocs.load()) + " calls)");
    check(app_par_fors > 0, "the other library ran its parallel loop through the app's hook (" +
                                std::to_string(app_par_fors.load()) + " calls)");

    // A too-small input: the other library reports through the app's error handler.
    Halide::Runtime::Buffer<float> small(8, 8), out(8, 8);
    const int rc = other_pipeline(small, out);
    check(rc != 0 && app_errors == 1, "the other library's error reached the app's handler (rc " +
                                          std::to_string(rc) + ", " +
                                          std::to_string(app_errors.load()) + " calls)");

    check(convgen_pointwise_is_right(), "convgen still matches after the other library ran");
    try {
        convgen::Pointwise bad({0, 8, {}}, nullptr, nullptr);
        check(false, "convgen rejects in_channels 0");
    } catch (const convgen::Error &e) {
        check(e.field() == "desc.in_channels", std::string("convgen's own error names the field: ") + e.what());
    }
    check(app_errors == 1, "convgen's errors never reached the app's Halide error handler");
    return failures == 0 ? 0 : 1;
}
