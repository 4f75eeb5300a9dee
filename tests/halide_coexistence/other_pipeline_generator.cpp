// A stand-in for another Halide-generated library that an application links beside convgen,
// with its own Halide runtime: out(x, y) = in(x, y) + in(x + 1, y), through a heap-allocated
// intermediate computed in parallel, so that it calls its runtime's halide_malloc and
// halide_do_par_for (and halide_error when `in` is too small).
#include "Halide.h"

namespace {

class OtherPipeline : public Halide::Generator<OtherPipeline> {
public:
    Input<Buffer<float, 2>> input{"input"};
    Output<Buffer<float, 2>> output{"output"};

    void generate() {
        Halide::Var x("x"), y("y");
        Halide::Func doubled("doubled");
        doubled(x, y) = input(x, y) * 2.0f;
        output(x, y) = (doubled(x, y) + doubled(x + 1, y)) * 0.5f;
        doubled.compute_root().parallel(y);
        output.parallel(y);
    }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(OtherPipeline, other_pipeline)
