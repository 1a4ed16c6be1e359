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
    // Two independent problems of one size (say two nodes' experts) at once: each pick waits on
    // the previous one, and two chains of picks interleaved overlap those waits.
    void replicate_two(const float* weight_a, const float* weight_b, int32_t n, int32_t m, int32_t* slot_expert_a,
                       int32_t* count_a, int32_t* slot_expert_b, int32_t* count_b);

private:
    // Experts' current values in a tournament (winner tree) keyed by (value bits, ~expert): the
    // root is the largest value, ties to the lowest index, the reference's first maximum.
    class Tree {
    public:
        void reset(const float* weight, int32_t n);
        // The next pick: writes slot_expert[slot] and counts it.
        void pick(const float* weight, int32_t slot, int32_t* slot_expert, int32_t* count);

    private:
        int32_t leaves_ = 1;
        std::vector<uint64_t> node_;
        std::vector<float> next_;  // each expert's value after its next replica, computed ahead
    };

    // Few extra slots: a scan over the experts per pick costs less than the tournament.
    static bool scan(int32_t n, int32_t m) { return int64_t(m - n) * n <= 1024; }

    std::vector<float> value_;
    Tree tree_, other_;
};

}  // namespace eplb::detail
