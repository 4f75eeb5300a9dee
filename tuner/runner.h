// How a candidate is measured. The search only sees this interface, so each kind of target
// plugs in its own: JitRunner (the host, in process), CrossRunner (another architecture, through
// a user's command). A CUDA runner is the hook for GPU targets: JIT with the cuda feature and
// time with device synchronisation (not written yet; see README, Autotuning).
#pragma once

#include <string>

#include "task.h"

namespace convgen::tune {

struct Timing {
    double ms = 0;      // median of the repetitions
    std::string error;  // non-empty: the candidate failed to compile, run or match hand
};

struct TimingOptions {
    int repetitions = 7;         // samples; the median is reported
    double min_sample_ms = 2.0;  // a sample repeats the kernel until it lasts this long
    int threads = 1;             // Halide runtime threads the kernel may use
    // Cycle each sample's calls through copies of the task's buffers (64 MiB or more in all),
    // so every call finds its input, weights and output out of cache, as a layer inside a
    // network does; otherwise a sample repeats one call on the same, cache-hot buffers.
    bool cold = false;
    // Input and output start this many bytes past a 64-byte boundary (a multiple of 4 below
    // 64), as a user's std::vector<float> often does; 0: on the boundary.
    int misalign_bytes = 0;
};

class Runner {
public:
    virtual ~Runner() = default;
    // Times `task` scheduled with `knobs` (a full knob string). The first call per task must be
    // the hand schedule: its output is the reference later candidates are checked against.
    virtual Timing measure(const Task &task, const std::string &knobs) = 0;
    // convgen::machine_class() of what runs the candidates ("" until known: a cross runner
    // learns it from the first run): recorded with every tuned variant, whose runtime use
    // is tied to it.
    virtual std::string machine_class() const = 0;
};

}  // namespace convgen::tune
