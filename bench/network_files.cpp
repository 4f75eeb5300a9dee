#include "network_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace convgen_bench {

namespace fs = std::filesystem;

std::vector<float> read_floats(const fs::path &path, int64_t expected) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) throw std::runtime_error("cannot open " + path.string());
    const int64_t bytes = f.tellg();
    if (bytes != expected * int64_t(sizeof(float))) {
        throw std::runtime_error(path.string() + ": " + std::to_string(bytes) + " bytes, expected " +
                                 std::to_string(expected) + " float32 values");
    }
    std::vector<float> v(static_cast<size_t>(expected));
    f.seekg(0);
    f.read(reinterpret_cast<char *>(v.data()), bytes);
    return v;
}

void write_floats(const fs::path &path, const float *data, int64_t count) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char *>(data), count * int64_t(sizeof(float)));
    if (!f) throw std::runtime_error("cannot write " + path.string());
}

Network read_network(const fs::path &dir) {
    std::ifstream f(dir / "network.txt");
    if (!f) throw std::runtime_error("cannot open " + (dir / "network.txt").string());
    Network net;
    std::string line;
    int line_no = 0;
    while (std::getline(f, line)) {
        ++line_no;
        line = line.substr(0, line.find('#'));
        std::istringstream in(line);
        std::string kind;
        if (!(in >> kind)) continue;
        const std::string where = "network.txt:" + std::to_string(line_no) + ": ";
        auto bad = [&](const std::string &why) { return std::runtime_error(where + why); };
        if (kind == "input") {
            std::string file;
            if (!(in >> net.h >> net.w >> net.c >> file)) throw bad("expected input H W C FILE");
            net.input = read_floats(dir / file, int64_t(net.h) * net.w * net.c);
            continue;
        }
        NetworkLayer l{};
        if (!(in >> l.c_in >> l.c_out >> l.k >> l.stride)) throw bad("expected C_IN C_OUT K STRIDE");
        std::vector<std::pair<std::string, int64_t>> files;
        const int64_t kk = int64_t(l.k) * l.k;
        if (kind == "conv") {
            l.kind = NetworkLayer::Kind::conv;
            files = {{"", kk * l.c_in * l.c_out}, {"", l.c_out}};
        } else if (kind == "sep") {
            l.kind = NetworkLayer::Kind::sep;
            files = {{"", kk * l.c_in}, {"", l.c_in}, {"", int64_t(l.c_in) * l.c_out}, {"", l.c_out}};
        } else {
            throw bad("unknown item '" + kind + "' (input, conv, sep)");
        }
        for (auto &[file, count] : files) {
            if (!(in >> file)) throw bad("missing a weight file name");
            l.weights.push_back(read_floats(dir / file, count));
        }
        net.layers.push_back(std::move(l));
    }
    if (net.input.empty()) throw std::runtime_error("network.txt has no input line");
    if (net.layers.empty()) throw std::runtime_error("network.txt has no layers");
    return net;
}

long peak_rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

SamePadding same_padding(int in, int k, int stride) {
    const int out = (in + stride - 1) / stride;
    const int total = std::max((out - 1) * stride + k - in, 0);
    return {out, total / 2, total - total / 2};
}

}  // namespace convgen_bench
