#include "eplb/rebalance.hpp"

#include <algorithm>

#include "algorithm.hpp"
#include "eplb/error.hpp"
#include "eplb/limits.hpp"
#include "format.hpp"
#include "rebalancing/incremental.hpp"
#include "layout.hpp"
#include "node_split.hpp"
#include "rebalancing/recovery.hpp"

namespace eplb {
namespace {

std::string known_algorithms() {
    std::string s;
    for (const auto& a : detail::algorithm_registry()) s += (s.empty() ? "" : ", ") + a.name;
    return s;
}

// `auto` is the reference's rule: hierarchical when the groups divide the nodes, else global;
// with failed GPUs, global (as SGLang's elasticity-aware EPLB falls back to DeepSeek's global
// policy over the live GPUs). Hierarchical and hybrid on groups that do not divide the nodes, or
// on nodes left unequal by failures, need an algorithm that places on such layouts.
Policy resolve_policy(Policy asked, const Topology& t, const detail::LiveGpus& live, const detail::Algorithm& a,
                      const std::string& name) {
    if (asked == Policy::automatic)
        return t.hierarchical() && !live.any_failed() ? Policy::hierarchical : Policy::global;
    // (A policy the algorithm lacks altogether is refused as such by the caller.)
    if (asked == Policy::global || !live.uneven() || a.supports_uneven() || !a.supports(asked)) return asked;
    if (!t.hierarchical())
        throw InvalidInput("policy '" + policy_name(asked) + "' needs num_groups (" + std::to_string(t.groups) +
                           ") divisible by num_nodes (" + std::to_string(t.nodes) + ") for algorithm '" + name +
                           "' (the balanced algorithms place groups on nodes in unequal numbers)");
    throw InvalidInput("algorithm '" + name + "' places policy '" + policy_name(asked) +
                       "' only on nodes of equal sizes, and the failed GPUs leave nodes of unequal sizes: use policy "
                       "'global' (the reference's answer to failures) or a balanced algorithm");
}

void validate_previous(const Placement& prev, int64_t L, int64_t E, int64_t R, const Topology& t) {
    if (prev.layers() != L || prev.replicas() != R || prev.experts() != E)
        throw InvalidInput("previous placement is " + std::to_string(prev.layers()) + " layers x " +
                           std::to_string(prev.replicas()) + " slots for " + std::to_string(prev.experts()) +
                           " experts; expected " + std::to_string(L) + " x " + std::to_string(R) + " for " +
                           std::to_string(E));
    // -1: every slot of a GPU that had failed when it was made.
    const std::vector<int64_t> failed = failed_gpus(prev.phy2log, t);
    std::vector<char> dead(size_t(t.gpus), 0);
    for (int64_t g : failed) dead[size_t(g)] = 1;
    const int64_t S = R / t.gpus;
    if (int64_t(failed.size()) == t.gpus) throw InvalidInput("previous placement: every GPU is failed");
    for (int64_t l = 0; l < L; ++l)
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = prev.phy2log(l, s);
            if (dead[size_t(s / S)] ? e != -1 : (e < 0 || e >= E))
                throw InvalidInput("previous placement: phy2log[" + std::to_string(l) + "][" + std::to_string(s) +
                                   "] is not an expert index" + (e == -1 ? " (-1 marks every slot of a failed GPU)" : ""));
        }
    std::vector<char> seen(static_cast<size_t>(E), 0);
    for (int64_t l = 0; l < L; ++l) {
        std::fill(seen.begin(), seen.end(), 0);
        for (int64_t s = 0; s < R; ++s)
            if (prev.phy2log(l, s) >= 0) seen[size_t(prev.phy2log(l, s))] = 1;
        for (int64_t e = 0; e < E; ++e)
            if (!seen[size_t(e)])
                throw InvalidInput("previous placement: expert " + std::to_string(e) + " of layer " + std::to_string(l) +
                                   " has no slot");
    }
}

}  // namespace

std::vector<AlgorithmInfo> algorithm_info() {
    std::vector<AlgorithmInfo> out;
    for (const auto& a : detail::algorithm_registry()) out.push_back({a.name, a.summary});
    return out;
}

std::vector<std::string> algorithms() {
    std::vector<std::string> names;
    for (const auto& a : detail::algorithm_registry()) names.push_back(a.name);
    return names;
}

std::vector<std::string> policies() { return {"auto", "hierarchical", "global", "hybrid"}; }

std::vector<std::string> policies(const std::string& algorithm) {
    const auto& registry = detail::algorithm_registry();
    auto entry = std::find_if(registry.begin(), registry.end(),
                              [&](const detail::AlgorithmEntry& a) { return a.name == algorithm; });
    if (entry == registry.end())
        throw InvalidInput("unknown algorithm '" + algorithm + "' (known: " + known_algorithms() + ")");
    const auto instance = entry->make();
    std::vector<std::string> names;
    for (const std::string& name : policies()) {
        const Policy p = parse_policy(name);
        if (p == Policy::automatic || instance->supports(p)) names.push_back(name);
    }
    return names;
}

Policy parse_policy(const std::string& name) {
    if (name == "auto" || name == "automatic" || name.empty()) return Policy::automatic;
    if (name == "hierarchical") return Policy::hierarchical;
    if (name == "global") return Policy::global;
    if (name == "hybrid") return Policy::hybrid;
    throw InvalidInput("unknown policy '" + name + "' (known: auto, hierarchical, global, hybrid)");
}

std::string policy_name(Policy p) {
    switch (p) {
        case Policy::automatic: return "auto";
        case Policy::hierarchical: return "hierarchical";
        case Policy::global: return "global";
        case Policy::hybrid: return "hybrid";
    }
    return "auto";
}

namespace {

// The windows' sum, in the order a serving engine's window sum (or numpy's sum) adds them:
// oldest first. Checked like one matrix, since a sum of loads within the limit may exceed it.
std::vector<double> history_sum(const std::vector<const double*>& windows, int64_t L, int64_t E) {
    std::vector<double> sum(windows[0], windows[0] + L * E);
    for (size_t k = 1; k < windows.size(); ++k)
        for (int64_t i = 0; i < L * E; ++i) sum[size_t(i)] += windows[k][i];
    try {
        validate_weights(sum.data(), L, E);
    } catch (const LimitExceeded& e) {
        throw LimitExceeded(std::string("the sum of the load history: ") + e.what());
    }
    return sum;
}

// windows[k]: window k of the history, [L][E] row-major, each already validated.
// stats: if not null, the incremental mode's stats of the call are added to it.
xt::xtensor<int32_t, 2> place_layers(const std::vector<const double*>& windows, int64_t L, int64_t E,
                                     const Topology& topology, const Options& options,
                                     detail::IncrementalStats* stats = nullptr) {
    const int64_t R = topology.replicas;
    validate_topology(topology, E);
    if (L * R > limits::max_slots)
        throw LimitExceeded("the placement would have " + std::to_string(L * R) + " slots (layers x replicas), beyond the limit of " +
                            std::to_string(limits::max_slots));
    const auto& registry = detail::algorithm_registry();
    auto entry = std::find_if(registry.begin(), registry.end(),
                              [&](const detail::AlgorithmEntry& a) { return a.name == options.algorithm; });
    if (entry == registry.end())
        throw InvalidInput("unknown algorithm '" + options.algorithm + "' (known: " + known_algorithms() + ")");
    auto algorithm = entry->make();
    // The live GPUs (all without failures); mistakes in the failed list are reported here.
    const detail::LiveGpus live(topology, options.failed_gpus, E);
    const Policy policy = resolve_policy(options.policy, topology, live, *algorithm, entry->name);
    if (options.previous) validate_previous(*options.previous, L, E, R, topology);
    if (options.max_moves < -1) throw InvalidInput("max_moves (" + std::to_string(options.max_moves) + ") must be >= 0");
    if (!(options.tolerance == -1 || (options.tolerance >= 0 && options.tolerance <= 1)))
        throw InvalidInput("tolerance (" + detail::format_number(options.tolerance) + ") must be in [0, 1]");
    if (!options.previous && (options.max_moves != -1 || options.tolerance != -1))
        throw InvalidInput(std::string(options.max_moves != -1 ? "max_moves" : "tolerance") +
                           " applies to rebalancing from a previous placement: give the placement in service too");
    if (!algorithm->supports(policy))
        throw InvalidInput("algorithm '" + entry->name + "' does not support policy '" + policy_name(policy) + "'");
    // Hierarchical and hybrid placement on nodes of unequal sizes or groups that do not divide
    // them (layout.hpp); an impossible layout is refused before any work.
    const bool uneven = policy != Policy::global && live.uneven();
    const detail::NodeLayout* layout = uneven ? &live.layout() : nullptr;
    if (uneven) detail::group_capacity(live.layout(), int32_t(topology.groups), int32_t(E / topology.groups), policy);
    // The algorithms place on the live GPUs only (compact); failed GPUs' slots are -1 after.
    const bool failures = live.any_failed();
    const Topology placed = failures ? live.compact(policy) : topology;
    const int64_t Rp = placed.replicas;
    // The placement in service is brought onto the live GPUs first (recovery.hpp) when GPUs
    // failed or came back since it was made.
    const bool recover =
        options.previous && (failures || std::find(options.previous->phy2log.begin(), options.previous->phy2log.end(), -1) !=
                                             options.previous->phy2log.end());
    // Migration-aware step: keeps the previous placement's slots where that costs little
    // balance. After GPUs failed or came back (and for the hybrid policy on a layout), the mend of
    // recovery.hpp; otherwise the incremental mode.
    detail::Incremental* incremental = nullptr;
    if (options.previous) {
        if (recover || (uneven && policy == Policy::hybrid)) {
            algorithm = std::make_unique<detail::Recovery>(std::move(algorithm));
        } else {
            auto inc = std::make_unique<detail::Incremental>(std::move(algorithm));
            incremental = inc.get();
            algorithm = std::move(inc);
        }
    }
    if (uneven && policy == Policy::hierarchical) algorithm = std::make_unique<detail::NodeSplit>(std::move(algorithm));

    const std::vector<double> sum = windows.size() > 1 ? history_sum(windows, L, E) : std::vector<double>();
    const double* weights = windows.size() > 1 ? sum.data() : windows[0];
    std::vector<const double*> rows(windows.size());
    std::vector<int32_t> compact_prev(recover ? size_t(Rp) : 0), start(recover ? size_t(Rp) : 0);
    std::vector<int32_t> compact_out(failures ? size_t(Rp) : 0);
    xt::xtensor<int32_t, 2> phy2log = xt::xtensor<int32_t, 2>::from_shape({size_t(L), size_t(R)});
    for (int64_t l = 0; l < L; ++l) {
        for (size_t k = 0; k < windows.size(); ++k) rows[k] = windows[k] + l * E;
        const int32_t* prev = options.previous ? options.previous->phy2log.data() + l * R : nullptr;
        if (recover) {
            live.compact_row(prev, compact_prev.data());
            detail::recover_start(weights + l * E, int32_t(E), int32_t(topology.groups), compact_prev.data(), int32_t(Rp),
                                  int32_t(placed.slots_per_gpu()), &live.layout(), policy, start.data());
            prev = start.data();
        }
        detail::LayerInput in{weights + l * E, E, placed, policy, options, prev, rows.data(), int64_t(rows.size()), layout};
        if (!failures) {
            algorithm->place(in, {phy2log.data() + l * R});
        } else {
            algorithm->place(in, {compact_out.data()});
            live.expand(compact_out.data(), phy2log.data() + l * R);
        }
        if (options.progress) options.progress(l + 1, L);
    }
    if (stats && incremental) *stats += incremental->stats();
    return phy2log;
}

}  // namespace

xt::xtensor<int32_t, 2> rebalance_phy2log(const xt::xtensor<double, 2>& weights, const Topology& topology,
                                          const Options& options) {
    return rebalance_phy2log(weights.data(), int64_t(weights.shape(0)), int64_t(weights.shape(1)), topology, options);
}

xt::xtensor<int32_t, 2> rebalance_phy2log(const double* weights, int64_t L, int64_t E, const Topology& topology,
                                          const Options& options) {
    validate_weights(weights, L, E);
    return place_layers({weights}, L, E, topology, options);
}

xt::xtensor<int32_t, 2> rebalance_phy2log(const LoadHistory& history, const Topology& topology, const Options& options) {
    validate_history(history);
    std::vector<const double*> windows;
    for (const auto& w : history) windows.push_back(w.data());
    return place_layers(windows, int64_t(history[0].shape(0)), int64_t(history[0].shape(1)), topology, options);
}

xt::xtensor<int32_t, 2> rebalance_phy2log(const double* history, int64_t K, int64_t L, int64_t E, const Topology& topology,
                                          const Options& options) {
    if (K < 1) throw InvalidInput("the load history has no windows");
    if (K > limits::max_windows)
        throw LimitExceeded("the load history has " + std::to_string(K) + " windows, beyond the limit of " +
                            std::to_string(limits::max_windows));
    validate_weights(history, L, E);  // window 0: its sizes before any product of them
    if (K * L * E > limits::max_history_cells)
        throw LimitExceeded("the load history has " + std::to_string(K * L * E) +
                            " loads (windows x layers x experts), beyond the limit of " +
                            std::to_string(limits::max_history_cells));
    std::vector<const double*> windows;
    for (int64_t k = 0; k < K; ++k) {
        windows.push_back(history + k * L * E);
        if (k == 0) continue;
        try {
            validate_weights(windows.back(), L, E);
        } catch (const LimitExceeded& e) {
            throw LimitExceeded("window " + std::to_string(k) + " of the load history: " + e.what());
        } catch (const InvalidInput& e) {
            throw InvalidInput("window " + std::to_string(k) + " of the load history: " + e.what());
        }
    }
    return place_layers(windows, L, E, topology, options);
}

Placement rebalance(const xt::xtensor<double, 2>& weights, const Topology& topology, const Options& options) {
    Placement p = placement_from_phy2log(rebalance_phy2log(weights, topology, options), int64_t(weights.shape(1)), topology);
    p.algorithm = options.algorithm;
    return p;
}

Placement rebalance(const LoadHistory& history, const Topology& topology, const Options& options) {
    auto phy2log = rebalance_phy2log(history, topology, options);  // checks the history before history[0] is read
    Placement p = placement_from_phy2log(std::move(phy2log), int64_t(history[0].shape(1)), topology);
    p.algorithm = options.algorithm;
    return p;
}

namespace detail {

Placement rebalance_counted(const xt::xtensor<double, 2>& weights, const Topology& topology, const Options& options,
                            IncrementalStats& stats) {
    const int64_t L = int64_t(weights.shape(0)), E = int64_t(weights.shape(1));
    validate_weights(weights.data(), L, E);
    Placement p = placement_from_phy2log(place_layers({weights.data()}, L, E, topology, options, &stats), E, topology);
    p.algorithm = options.algorithm;
    return p;
}

}  // namespace detail
}  // namespace eplb
