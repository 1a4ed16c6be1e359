#pragma once
#include <cstdint>
#include <vector>

namespace eplb::detail {

// DeepSeek's replicate_experts (D'Hondt): slot i < n holds expert i; each further slot goes to
// the expert with the largest weight / count in float32 (ties: lower index).
// Writes slot_expert[m] and count[n].
class Replicator {
public:
    void replicate(const float* weight, int32_t n, int32_t m, int32_t* slot_expert, int32_t* count);

private:
    std::vector<float> value_, next_;
    std::vector<uint64_t> tree_;
};

}  // namespace eplb::detail
