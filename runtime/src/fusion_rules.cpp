// The fusion rules of kernels.json "fusion", generated into convgen_fusion.inc, for the CPU
// Separable and the GPU one alike.
#include "internal.h"

namespace convgen {

namespace {
struct TargetRule {
    const char *target;
    FusionRule rule;
};
const TargetRule kRules[] = {
#define CONVGEN_FUSION_RULE(target, min_channels, max_channels, max_pixels, max_stride) \
    {#target, {min_channels, max_channels, max_pixels, max_stride}},
#include "convgen_fusion.inc"
#undef CONVGEN_FUSION_RULE
    {nullptr, {}},  // keeps the array non-empty
};
}  // namespace

std::string FusionRule::to_string() const {
    std::string s;
    auto add = [&s](const std::string &part) { s += (s.empty() ? "" : " and ") + part; };
    if (min_channels) add("at least " + std::to_string(min_channels) + " channels");
    if (max_channels) add("at most " + std::to_string(max_channels) + " intermediate channels");
    if (max_pixels) add("at most " + std::to_string(max_pixels) + " output pixels");
    if (max_stride) add("stride at most " + std::to_string(max_stride));
    return s.empty() ? "any problem" : s;
}

std::vector<FusionRule> fusion_rules() { return detail::fusion_rules_for("cpu"); }
std::vector<FusionRule> inverted_residual_fusion_rules() {
    return detail::fusion_rules_for("cpu_inverted_residual");
}

namespace detail {
std::string rules_broken(const std::vector<FusionRule> &rules, int64_t mid_channels,
                         int64_t out_channels, int stride) {
    std::string why;
    for (const FusionRule &r : rules) {
        const std::string broken = r.broken_by(mid_channels, out_channels, -1, stride);
        if (broken.empty()) return "";
        why += (why.empty() ? "" : ", and ") + broken;
    }
    return why;
}

std::vector<FusionRule> fusion_rules_for(const std::string &target) {
    std::vector<FusionRule> rules;
    for (const TargetRule &r : kRules) {
        if (r.target && target == r.target) rules.push_back(r.rule);
    }
    return rules;
}
}  // namespace detail

}  // namespace convgen
