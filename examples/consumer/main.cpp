// Uses an installed convgen: the tutorial case (NHWC [2,32,32,3], 3 -> 4 channels, 3x3, pad 1)
// as a fused separable conv and as depthwise then pointwise; the two must agree.
#include <cmath>
#include <cstdio>
#include <vector>

#include <convgen/convgen.h>

int main() {
    using namespace convgen;
    const TensorDesc in = TensorDesc::nhwc(2, 32, 32, 3);
    std::vector<float> x(in.elements());
    for (size_t i = 0; i < x.size(); i++) x[i] = std::sin(0.01f * float(i));
    std::vector<float> dw_w(27), pw_w(12);
    for (size_t i = 0; i < dw_w.size(); i++) dw_w[i] = 0.1f * float(i % 7) - 0.3f;
    for (size_t i = 0; i < pw_w.size(); i++) pw_w[i] = 0.2f * float(i % 5) - 0.4f;

    SeparableDesc desc;
    desc.in_channels = 3;
    desc.out_channels = 4;
    desc.window.padding = Padding::symmetric(1);
    desc.activation = Activation::relu();
    try {
        Separable fused(desc, dw_w.data(), nullptr, pw_w.data(), nullptr);
        Depthwise dw(desc.depthwise(), dw_w.data(), nullptr);
        Pointwise pw(desc.pointwise(), pw_w.data(), nullptr);

        const TensorDesc mid = dw.output_desc(in), out = fused.output_desc(in);
        std::vector<float> m(mid.elements()), a(out.elements()), b(out.elements());
        fused.run({x.data(), in}, {a.data(), out});
        dw.run({x.data(), in}, {m.data(), mid});
        pw.run({m.data(), mid}, {b.data(), out});

        double worst = 0;
        for (size_t i = 0; i < a.size(); i++) worst = std::fmax(worst, std::fabs(a[i] - b[i]));
        std::printf("output %s via %s; max |fused - unfused| = %g\n", out.to_string().c_str(),
                    fused.implementation().to_string().c_str(), worst);
        // The library linked in must be the one whose headers this was compiled with.
        const Version v = version();
        std::printf("convgen %s (headers %s)\n", v.string, CONVGEN_VERSION_STRING);
        if (v.major != CONVGEN_VERSION_MAJOR || v.minor != CONVGEN_VERSION_MINOR ||
            v.patch != CONVGEN_VERSION_PATCH) {
            return 1;
        }
        return worst < 1e-4 ? 0 : 1;
    } catch (const Error &e) {
        std::printf("convgen error (%s): %s\n", e.field().c_str(), e.what());
        return 1;
    }
}
