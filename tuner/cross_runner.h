// Cross runner, for targets the host cannot run (aarch64): the generator emits the candidate
// as a static library for the target, the cross compiler links it with tuner/cross_harness.cpp
// (a small timing program), and a user command runs it where it can run: qemu to test the flow
// (its timings mean nothing), or an ssh to a board. The command template names the binary {};
// the harness arguments follow it.
#pragma once

#include <map>
#include <string>

#include "runner.h"

namespace convgen::tune {

struct CrossOptions {
    std::string run_command;     // e.g. "qemu-aarch64-static -L /usr/aarch64-linux-gnu {}"
    std::string cxx;             // e.g. "aarch64-linux-gnu-g++"
    std::string work_dir;        // candidates' libraries and binaries
    std::string halide_include;  // for HalideBuffer.h
    std::string harness_source;  // tuner/cross_harness.cpp
    std::string abi_include;     // abi/, for kernel_abi.h
    std::string machine_class_source;  // runtime/src/machine_class.cpp, linked into the harness
    std::string runtime_include;       // runtime/include, for convgen/runtime.h
    std::string generated_include;     // <build>/runtime/include, for convgen/isa_list.h (every
                                       // architecture's levels, so the host build's serves)
};

class CrossRunner : public Runner {
public:
    CrossRunner(CrossOptions cross, TimingOptions timing);
    ~CrossRunner() override;  // removes the candidates it built
    Timing measure(const Task &task, const std::string &knobs) override;
    std::string machine_class() const override { return machine_class_; }

private:
    std::string build(const Task &task, const std::string &knobs);  // -> the binary
    double run(const Task &task, const std::string &exe);           // -> median ms
    CrossOptions cross_;
    TimingOptions timing_;
    int counter_ = 0;
    std::map<std::string, double> checksum_;  // the hand schedule's, per task
    std::map<std::string, std::string> built_;  // task + knobs -> binary, for re-timing
    std::string machine_class_;                 // as the harness reports it
};

}  // namespace convgen::tune
