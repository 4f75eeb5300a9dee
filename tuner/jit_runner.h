// Host runner: builds the registered convgen generator in process (the generator sources are
// linked into the tuner), JIT-compiles it with compile_to_callable() and times the Callable.
#pragma once

#include <map>
#include <memory>

#include "runner.h"

namespace convgen::tune {

class JitRunner : public Runner {
public:
    explicit JitRunner(TimingOptions options);
    ~JitRunner() override;
    Timing measure(const Task &task, const std::string &knobs) override;
    std::string machine_class() const override;

    struct Data;  // a task's buffers and the hand schedule's output

private:
    TimingOptions options_;
    std::map<std::string, std::unique_ptr<Data>> data_;  // by task key + isa
};

}  // namespace convgen::tune
