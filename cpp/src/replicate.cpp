#include "replicate.hpp"

#include <algorithm>

namespace eplb::detail {

void Replicator::replicate(const float* w, int32_t n, int32_t m, int32_t* slot_expert, int32_t* count) {
    for (int32_t i = 0; i < n; ++i) slot_expert[i] = i, count[i] = 1;
    if (m == n) return;
    // Max-heap on (value, -expert): the top is the reference's argmax with its first-index tie rule.
    auto below = [](const Entry& a, const Entry& b) {
        return a.value < b.value || (a.value == b.value && a.expert > b.expert);
    };
    heap_.resize(size_t(n));
    for (int32_t i = 0; i < n; ++i) heap_[size_t(i)] = {w[i], i};
    std::make_heap(heap_.begin(), heap_.end(), below);
    for (int32_t slot = n; slot < m; ++slot) {
        std::pop_heap(heap_.begin(), heap_.end(), below);
        Entry& top = heap_.back();
        const int32_t e = top.expert;
        slot_expert[slot] = e;
        ++count[e];
        top.value = w[e] / float(count[e]);
        std::push_heap(heap_.begin(), heap_.end(), below);
    }
}

}  // namespace eplb::detail
