#include <cmath>
#include <string>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"
#include "eplb/rebalance.hpp"
#include "eplb/topology.hpp"
#include "format.hpp"

namespace eplb {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

void require_positive(const char* name, int64_t v) {
    if (v <= 0) throw InvalidInput(std::string(name) + " (" + str(v) + ") must be a positive integer");
}

void require_at_most(const char* name, int64_t v, int64_t limit) {
    if (v > limit)
        throw LimitExceeded(std::string(name) + " (" + str(v) + ") exceeds the limit of " + str(limit));
}

}  // namespace

void validate_topology(const Topology& t, int64_t experts) {
    require_positive("num_replicas", t.replicas);
    require_positive("num_groups", t.groups);
    require_positive("num_nodes", t.nodes);
    require_positive("num_gpus", t.gpus);
    require_at_most("num_replicas", t.replicas, limits::max_replicas);
    require_at_most("num_gpus", t.gpus, limits::max_gpus);
    require_at_most("num_groups", t.groups, limits::max_experts);
    require_at_most("num_nodes", t.nodes, limits::max_gpus);
    if (experts % t.groups != 0)
        throw InvalidInput("number of experts (" + str(experts) + ") must be divisible by num_groups (" +
                           str(t.groups) + ")");
    if (t.replicas % t.gpus != 0)
        throw InvalidInput("num_replicas (" + str(t.replicas) + ") must be divisible by num_gpus (" +
                           str(t.gpus) + ")");
    if (t.gpus % t.nodes != 0)
        throw InvalidInput("num_gpus (" + str(t.gpus) + ") must be divisible by num_nodes (" +
                           str(t.nodes) + ")");
    if (t.replicas < experts)
        throw InvalidInput("num_replicas (" + str(t.replicas) + ") must be >= number of experts (" +
                           str(experts) + ")");
}

void validate_weights(const xt::xtensor<double, 2>& w) {
    validate_weights(w.data(), int64_t(w.shape(0)), int64_t(w.shape(1)));
}

void validate_weights(const double* p, int64_t L, int64_t E) {
    if (L < 0 || E < 0)
        throw InvalidInput("the load matrix is " + str(L) + " x " + str(E) + ": sizes must not be negative");
    if (L == 0) throw InvalidInput("the load matrix has no layers");
    if (E == 0) throw InvalidInput("the load matrix has no experts");
    require_at_most("number of layers", L, limits::max_layers);
    require_at_most("number of experts", E, limits::max_experts);
    bool all_ok = true;  // one cheap pass; the slow pass below only runs to name the bad value
    for (int64_t i = 0; i < L * E; ++i) all_ok &= (p[i] >= 0) & (p[i] <= limits::max_load);
    if (all_ok) return;
    for (int64_t l = 0; l < L; ++l)
        for (int64_t e = 0; e < E; ++e) {
            const double v = p[l * E + e];
            if (std::isnan(v))
                throw InvalidInput("load of layer " + str(l) + ", expert " + str(e) + " is NaN");
            if (std::isinf(v))
                throw InvalidInput("load of layer " + str(l) + ", expert " + str(e) + " is infinite");
            if (v < 0)
                throw InvalidInput("load of layer " + str(l) + ", expert " + str(e) + " is negative (" +
                                   detail::format_number(v) + ")");
            if (v > limits::max_load)
                throw LimitExceeded("load of layer " + str(l) + ", expert " + str(e) + " (" +
                                    detail::format_number(v) + ") exceeds the limit of 1e30");
        }
}

void validate_history(const LoadHistory& history) {
    if (history.empty()) throw InvalidInput("the load history has no windows");
    require_at_most("number of windows", int64_t(history.size()), limits::max_windows);
    const auto& first = history.front();
    for (size_t k = 0; k < history.size(); ++k) {
        const auto& w = history[k];
        if (w.shape() != first.shape())
            throw InvalidInput("window " + str(int64_t(k)) + " of the load history is " + str(int64_t(w.shape(0))) + " x " +
                               str(int64_t(w.shape(1))) + ", window 0 is " + str(int64_t(first.shape(0))) + " x " +
                               str(int64_t(first.shape(1))));
    }
    const int64_t cells = int64_t(history.size()) * int64_t(first.size());
    if (cells > limits::max_history_cells)
        throw LimitExceeded("the load history has " + str(cells) + " loads (windows x layers x experts), beyond the limit of " +
                            str(limits::max_history_cells));
    for (size_t k = 0; k < history.size(); ++k) {
        try {
            validate_weights(history[k]);
        } catch (const LimitExceeded& e) {
            if (history.size() == 1) throw;
            throw LimitExceeded("window " + str(int64_t(k)) + " of the load history: " + e.what());
        } catch (const InvalidInput& e) {
            if (history.size() == 1) throw;
            throw InvalidInput("window " + str(int64_t(k)) + " of the load history: " + e.what());
        }
    }
}

}  // namespace eplb
