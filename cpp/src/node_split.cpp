#include "node_split.hpp"

#include <algorithm>

namespace eplb::detail {

bool NodeSplit::previous_map(const LayerInput& in) {
    const NodeLayout& layout = *in.layout;
    const int32_t E = int32_t(in.experts), groups = int32_t(in.topology.groups), group_size = E / groups;
    const int32_t N = layout.nodes();
    prev_node_.assign(size_t(groups), -1);
    std::vector<char> split(static_cast<size_t>(groups), 0);
    for (int32_t n = 0; n < N; ++n)
        for (int32_t s = layout.first_slot(n); s < layout.first_slot(n) + layout.slots_of(n); ++s) {
            const int32_t g = in.previous[s] / group_size;
            if (prev_node_[size_t(g)] < 0) prev_node_[size_t(g)] = n;
            else if (prev_node_[size_t(g)] != n) split[size_t(g)] = 1;
        }
    group_count_.assign(size_t(N), 0);
    bool whole = true;
    for (int32_t g = 0; g < groups; ++g) {
        if (split[size_t(g)]) prev_node_[size_t(g)] = -1;
        if (prev_node_[size_t(g)] < 0) whole = false;
        else ++group_count_[size_t(prev_node_[size_t(g)])];
    }
    for (int32_t n = 0; n < N && whole; ++n) whole = group_count_[size_t(n)] >= 1 && group_count_[size_t(n)] <= cap_[size_t(n)];
    return whole;
}

void NodeSplit::place(const LayerInput& in, LayerOutput out) {
    const NodeLayout& layout = *in.layout;
    const int32_t E = int32_t(in.experts), groups = int32_t(in.topology.groups), group_size = E / groups;
    const int32_t N = layout.nodes(), R = int32_t(in.topology.replicas);
    if (cap_.empty()) cap_ = group_capacity(layout, groups, group_size, Policy::hierarchical);
    if (options_.empty()) {
        options_.assign(size_t(N), in.options);
        for (int32_t n = 0; n < N; ++n)
            if (in.options.max_moves >= 0) options_[size_t(n)].max_moves = in.options.max_moves * layout.slots_of(n) / R;
    }
    group_w_.assign(size_t(groups), 0.0);
    for (int32_t e = 0; e < E; ++e) group_w_[size_t(e / group_size)] += in.weight[e];
    const bool keep = in.previous && previous_map(in);
    if (keep) node_of_group_ = prev_node_;
    else {
        node_of_group_.resize(size_t(groups));
        groups_.assign(group_w_.data(), groups, group_size, layout, cap_.data(), in.weight, node_of_group_.data());
    }
    local_of_.assign(size_t(E), -1);
    for (int32_t n = 0; n < N; ++n) {
        experts_.clear();
        for (int32_t g = 0; g < groups; ++g)
            if (node_of_group_[size_t(g)] == n)
                for (int32_t e = g * group_size; e < (g + 1) * group_size; ++e) local_of_[size_t(e)] = int32_t(experts_.size()), experts_.push_back(e);
        const int32_t n_e = int32_t(experts_.size()), K = layout.slots_of(n), first = layout.first_slot(n);
        local_w_.resize(size_t(n_e));
        for (int32_t i = 0; i < n_e; ++i) local_w_[size_t(i)] = in.weight[experts_[size_t(i)]];
        // The node's windows of the history.
        rows_.resize(size_t(in.window_count));
        if (in.window_count > 1) {
            local_windows_.resize(size_t(in.window_count) * size_t(n_e));
            for (int64_t k = 0; k < in.window_count; ++k) {
                double* row = local_windows_.data() + size_t(k) * size_t(n_e);
                for (int32_t i = 0; i < n_e; ++i) row[i] = in.windows[k][experts_[size_t(i)]];
                rows_[size_t(k)] = row;
            }
        } else {
            rows_[0] = local_w_.data();
        }
        // The node's part of the placement in service, when it holds exactly this node's experts.
        const int32_t* prev = nullptr;
        if (in.previous) {
            local_prev_.resize(size_t(K));
            std::vector<char> seen(static_cast<size_t>(n_e), 0);
            bool ok = true;
            for (int32_t s = 0; s < K && ok; ++s) {
                const int32_t i = local_of_[size_t(in.previous[first + s])];
                ok = i >= 0 && experts_.size() > size_t(i) && experts_[size_t(i)] == in.previous[first + s];
                if (ok) local_prev_[size_t(s)] = i, seen[size_t(i)] = 1;
            }
            ok = ok && std::all_of(seen.begin(), seen.end(), [](char c) { return c != 0; });
            if (ok) prev = local_prev_.data();
        }
        const Topology sub{K, 1, 1, layout.gpus_of(n)};
        const LayerInput node_in{local_w_.data(), n_e, sub, Policy::global, options_[size_t(n)], prev,
                                 rows_.data(), in.window_count, nullptr};
        local_out_.resize(size_t(K));
        inner_->place(node_in, {local_out_.data()});
        for (int32_t s = 0; s < K; ++s) out.phy2log[first + s] = experts_[size_t(local_out_[size_t(s)])];
        for (int32_t e : experts_) local_of_[size_t(e)] = -1;
    }
}

}  // namespace eplb::detail
