// convgen reports every failure as a convgen::Error: bad input names the offending field and
// value; kernel failures carry Halide's message. Nothing aborts, and an operator that throws has
// not written its output.
#pragma once

#include <stdexcept>
#include <string>

namespace convgen {

enum class ErrorCode {
    invalid_argument,  // a value is out of its domain (zero size, null pointer, shape mismatch)
    unsupported,       // a valid request convgen does not implement (layout, ISA, variant)
    overflow,          // a size or byte count that does not fit the kernels' index types
    kernel_failed,     // a compiled kernel reported an error (should not happen after validation)
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, std::string field, const std::string &message)
        : std::runtime_error(message), code_(code), field_(std::move(field)) {}
    ErrorCode code() const { return code_; }
    // The offending field, e.g. "input.h" or "desc.window.stride_w"; empty if none applies.
    const std::string &field() const { return field_; }

private:
    ErrorCode code_;
    std::string field_;
};

}  // namespace convgen
