#include "rebalancing/incremental.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

// The relabelling of the fresh placement: nodes, GPUs and slots matched to the placement in service.
namespace eplb::detail {

void Incremental::relabel(const int32_t* fresh, const int32_t* prev, int32_t* out) {
    count_.assign(size_t(E_), 0);
    // Slots of `a` that find their expert among the slots of `b` (multiset intersection).
    auto intersect = [&](const int32_t* a, const int32_t* b, int32_t len) {
        for (int32_t i = 0; i < len; ++i) ++count_[size_t(b[i])];
        int64_t r = 0;
        for (int32_t i = 0; i < len; ++i)
            if (count_[size_t(a[i])] > 0) ++r, --count_[size_t(a[i])];
        for (int32_t i = 0; i < len; ++i) count_[size_t(b[i])] = 0;
        return r;
    };
    // Nodes (only where the policy ties groups to nodes; otherwise one node of all GPUs).
    std::vector<int32_t> node_assign(size_t(N_), 0);
    if (N_ > 1) {
        weight_.assign(size_t(N_) * size_t(N_), 0);
        for (int32_t a = 0; a < N_; ++a)
            for (int32_t b = 0; b < N_; ++b)
                weight_[size_t(a) * size_t(N_) + size_t(b)] = intersect(fresh + a * spn_, prev + b * spn_, spn_);
        max_weight_assignment(weight_, N_, node_assign);
    }
    std::vector<int32_t> gpu_assign;
    tmp_.assign(size_t(spg_), 0);
    for (int32_t a = 0; a < N_; ++a) {
        const int32_t b = node_assign[size_t(a)];
        weight_.assign(size_t(gpn_) * size_t(gpn_), 0);
        for (int32_t i = 0; i < gpn_; ++i)
            for (int32_t j = 0; j < gpn_; ++j)
                weight_[size_t(i) * size_t(gpn_) + size_t(j)] =
                    intersect(fresh + (a * gpn_ + i) * spg_, prev + (b * gpn_ + j) * spg_, spg_);
        max_weight_assignment(weight_, gpn_, gpu_assign);
        for (int32_t i = 0; i < gpn_; ++i) {
            const int32_t* src = fresh + (a * gpn_ + i) * spg_;
            const int32_t base = (b * gpn_ + gpu_assign[size_t(i)]) * spg_;
            for (int32_t k = 0; k < spg_; ++k) ++count_[size_t(src[k])];
            // Experts that were in this GPU keep their slot.
            for (int32_t k = 0; k < spg_; ++k) {
                const int32_t e = prev[base + k];
                tmp_[size_t(k)] = 0;
                if (count_[size_t(e)] > 0) --count_[size_t(e)], out[base + k] = e, tmp_[size_t(k)] = 1;
            }
            // The others fill the free slots in their fresh order.
            int32_t k = 0;
            for (int32_t q = 0; q < spg_; ++q) {
                const int32_t e = src[q];
                if (count_[size_t(e)] == 0) continue;
                --count_[size_t(e)];
                while (tmp_[size_t(k)]) ++k;
                out[base + k] = e;
                tmp_[size_t(k)] = 1;
            }
        }
    }
}

}  // namespace eplb::detail
