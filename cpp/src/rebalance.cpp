#include "eplb/rebalance.hpp"

#include <algorithm>

#include "algorithm.hpp"
#include "eplb/error.hpp"
#include "eplb/limits.hpp"
#include "format.hpp"
#include "incremental.hpp"

namespace eplb {
namespace {

std::string known_algorithms() {
    std::string s;
    for (const auto& a : detail::algorithm_registry()) s += (s.empty() ? "" : ", ") + a.name;
    return s;
}

Policy resolve_policy(Policy asked, const Topology& t) {
    if (asked == Policy::automatic) return t.hierarchical() ? Policy::hierarchical : Policy::global;
    if (asked != Policy::global && !t.hierarchical())
        throw InvalidInput("policy '" + policy_name(asked) + "' needs num_groups (" + std::to_string(t.groups) +
                           ") divisible by num_nodes (" + std::to_string(t.nodes) + ")");
    return asked;
}

void validate_previous(const Placement& prev, int64_t L, int64_t E, int64_t R) {
    if (prev.layers() != L || prev.replicas() != R || prev.experts() != E)
        throw InvalidInput("previous placement is " + std::to_string(prev.layers()) + " layers x " +
                           std::to_string(prev.replicas()) + " slots for " + std::to_string(prev.experts()) +
                           " experts; expected " + std::to_string(L) + " x " + std::to_string(R) + " for " +
                           std::to_string(E));
    for (int64_t l = 0; l < L; ++l)
        for (int64_t s = 0; s < R; ++s)
            if (prev.phy2log(l, s) < 0 || prev.phy2log(l, s) >= E)
                throw InvalidInput("previous placement: phy2log[" + std::to_string(l) + "][" + std::to_string(s) +
                                   "] is not an expert index");
    std::vector<char> seen(static_cast<size_t>(E), 0);
    for (int64_t l = 0; l < L; ++l) {
        std::fill(seen.begin(), seen.end(), 0);
        for (int64_t s = 0; s < R; ++s) seen[size_t(prev.phy2log(l, s))] = 1;
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
xt::xtensor<int32_t, 2> place_layers(const std::vector<const double*>& windows, int64_t L, int64_t E,
                                     const Topology& topology, const Options& options) {
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
    const Policy policy = resolve_policy(options.policy, topology);
    if (options.previous) validate_previous(*options.previous, L, E, R);
    if (options.max_moves < -1) throw InvalidInput("max_moves (" + std::to_string(options.max_moves) + ") must be >= 0");
    if (!(options.tolerance == -1 || (options.tolerance >= 0 && options.tolerance <= 1)))
        throw InvalidInput("tolerance (" + detail::format_number(options.tolerance) + ") must be in [0, 1]");
    if (!options.previous && (options.max_moves != -1 || options.tolerance != -1))
        throw InvalidInput(std::string(options.max_moves != -1 ? "max_moves" : "tolerance") +
                           " applies to rebalancing from a previous placement: give the placement in service too");

    auto algorithm = entry->make();
    if (!algorithm->supports(policy))
        throw InvalidInput("algorithm '" + entry->name + "' does not support policy '" + policy_name(policy) + "'");
    // Migration-aware step (issue 8): keeps the previous placement's slots where that costs little balance.
    if (options.previous) algorithm = std::make_unique<detail::Incremental>(std::move(algorithm));

    const std::vector<double> sum = windows.size() > 1 ? history_sum(windows, L, E) : std::vector<double>();
    const double* weights = windows.size() > 1 ? sum.data() : windows[0];
    std::vector<const double*> rows(windows.size());
    xt::xtensor<int32_t, 2> phy2log = xt::xtensor<int32_t, 2>::from_shape({size_t(L), size_t(R)});
    for (int64_t l = 0; l < L; ++l) {
        for (size_t k = 0; k < windows.size(); ++k) rows[k] = windows[k] + l * E;
        detail::LayerInput in{weights + l * E, E, topology, policy, options,
                              options.previous ? options.previous->phy2log.data() + l * R : nullptr,
                              rows.data(), int64_t(rows.size())};
        algorithm->place(in, {phy2log.data() + l * R});
        if (options.progress) options.progress(l + 1, L);
    }
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

}  // namespace eplb
