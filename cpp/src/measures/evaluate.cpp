#include "eplb/evaluate.hpp"

#include <algorithm>
#include <queue>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/history.hpp"
#include "eplb/rebalance.hpp"

namespace eplb {
namespace {
std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

double min_max_replica_load(const double* w, int64_t experts, int64_t replicas) {
    // D'Hondt's greedy minimises the largest load / count: give each extra slot to the current max.
    std::priority_queue<std::pair<double, int64_t>> heap;
    std::vector<int64_t> count(size_t(experts), 1);
    for (int64_t e = 0; e < experts; ++e) heap.push({w[e], e});
    for (int64_t s = experts; s < replicas; ++s) {
        auto [v, e] = heap.top();
        heap.pop();
        ++count[size_t(e)];
        heap.push({w[e] / double(count[size_t(e)]), e});
    }
    return heap.empty() ? 0.0 : heap.top().first;
}

Evaluation evaluate(const xt::xtensor<int32_t, 2>& phy2log, const xt::xtensor<double, 2>& weights,
                    const Topology& topology, const xt::xtensor<int32_t, 2>* previous) {
    validate_weights(weights);
    const int64_t L = int64_t(weights.shape(0)), E = int64_t(weights.shape(1));
    const int64_t R = int64_t(phy2log.shape(1));
    if (int64_t(phy2log.shape(0)) != L)
        throw InvalidInput("the placement has " + str(int64_t(phy2log.shape(0))) + " layers, the loads have " + str(L));
    Topology t = topology;
    t.replicas = R;
    validate_topology(t, E);
    if (previous && previous->shape() != phy2log.shape())
        throw InvalidInput("the previous placement's shape differs from the placement's");

    // Replica counts are read off phy2log (placement_from_phy2log rejects missing experts and -1
    // slots other than every slot of a failed GPU).
    const Placement p = placement_from_phy2log(phy2log, E, t);
    const int64_t G = t.gpus, N = t.nodes, per_gpu = R / G, per_node = R / N, group_size = E / t.groups;

    Evaluation ev;
    ev.failed_gpus = failed_gpus(p);
    std::vector<char> live(size_t(G), 1);
    for (int64_t g : ev.failed_gpus) live[size_t(g)] = 0;
    const int64_t live_gpus = G - int64_t(ev.failed_gpus.size()), live_slots = live_gpus * per_gpu;
    ev.gpu_loads = xt::zeros<double>({size_t(L), size_t(G)});
    ev.layer_balancedness_gpu = xt::ones<double>({size_t(L)});
    ev.layer_balancedness_replica = xt::ones<double>({size_t(L)});
    ev.layer_upper_bound = xt::ones<double>({size_t(L)});
    ev.layer_max_gpu_load = xt::zeros<double>({size_t(L)});
    double sum_mean = 0, sum_max = 0, sum_rep_mean = 0, sum_rep_max = 0, sum_lb = 0, total = 0, home = 0;
    std::vector<double> served(size_t(t.groups * N));
    for (int64_t l = 0; l < L; ++l) {
        const double* w = weights.data() + l * E;
        const int32_t* slots = p.phy2log.data() + l * R;
        const int32_t* cnt = p.logcnt.data() + l * E;
        double* gpu = ev.gpu_loads.data() + l * G;
        double W = 0, rep_max = 0;
        for (int64_t e = 0; e < E; ++e) W += w[e];
        std::fill(served.begin(), served.end(), 0.0);
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = slots[s];
            if (e < 0) continue;  // a slot of a failed GPU
            const double load = w[e] / double(cnt[e]);
            gpu[s / per_gpu] += load;
            rep_max = std::max(rep_max, load);
            served[size_t((e / group_size) * N + s / per_node)] += load;
        }
        double gpu_max = 0, gpu_sum = 0;
        for (int64_t g = 0; g < G; ++g)
            if (live[size_t(g)]) gpu_max = std::max(gpu_max, gpu[g]), gpu_sum += gpu[g];
        const double mean = gpu_sum / double(live_gpus), rep_mean = gpu_sum / double(live_slots);
        const double lb = std::max(W / double(live_gpus), min_max_replica_load(w, E, live_slots));
        if (gpu_max > 0) {
            ev.layer_balancedness_gpu(size_t(l)) = mean / gpu_max;
            ev.layer_balancedness_replica(size_t(l)) = rep_mean / rep_max;
            ev.layer_upper_bound(size_t(l)) = (W / double(live_gpus)) / lb;
        }
        ev.layer_max_gpu_load(size_t(l)) = gpu_max;
        sum_mean += mean, sum_max += gpu_max, sum_rep_mean += rep_mean, sum_rep_max += rep_max;
        sum_lb += lb, total += W;
        for (int64_t g = 0; g < t.groups; ++g)
            home += *std::max_element(served.begin() + g * N, served.begin() + (g + 1) * N);
    }
    if (sum_max > 0) {
        ev.balancedness_gpu = sum_mean / sum_max;
        ev.balancedness_replica = sum_rep_mean / sum_rep_max;
        ev.upper_bound = sum_mean / sum_lb;
    }
    ev.gap_to_bound = ev.upper_bound - ev.balancedness_gpu;
    ev.home_node_fraction = total > 0 ? home / total : 1.0;
    ev.max_gpu_load = sum_max;
    if (previous) {
        ev.layer_moved_slots = xt::zeros<int64_t>({size_t(L)});
        int64_t moved = 0;
        for (int64_t l = 0; l < L; ++l)
            for (int64_t s = 0; s < R; ++s) {
                const int32_t now = phy2log(size_t(l), size_t(s));
                if (now >= 0 && (*previous)(size_t(l), size_t(s)) != now) ++ev.layer_moved_slots(size_t(l)), ++moved;
            }
        ev.moved_slots = moved;
    }
    return ev;
}

Evaluation evaluate(const Placement& placement, const xt::xtensor<double, 2>& weights, const Placement* previous) {
    check_placement(placement);
    return evaluate(placement.phy2log, weights, placement.topology, previous ? &previous->phy2log : nullptr);
}

Evaluation evaluate(const Placement& placement, const std::vector<xt::xtensor<double, 2>>& history,
                    const Placement* previous) {
    return evaluate(placement, history_sum(history), previous);
}

}  // namespace eplb
