// libFuzzer target: rebalance + evaluate on arbitrary shapes, values and topologies. Accepted
// inputs must give placements that pass the SPEC section 2 invariants and the policy's rules,
// and `deepseek` must equal DeepSeek's steps written out literally (tests/oracle); rejected ones
// must throw eplb::InvalidInput, and an input that breaks no rule must not be rejected.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include "eplb/eplb.hpp"
#include "../oracle/literal_deepseek.hpp"

namespace {

struct Reader {
    const uint8_t* p;
    size_t n;
    uint8_t byte() { return n ? (--n, *p++) : 0; }
    uint16_t u16() { return uint16_t(byte() | (byte() << 8)); }
};

double load_from(Reader& r) {
    const uint8_t kind = r.byte();
    switch (kind % 16) {
        case 0: return 0.0;
        case 1: return std::numeric_limits<double>::quiet_NaN() * (kind > 128 ? 1 : 0) + (kind > 128 ? 0 : 1e300);
        case 2: return -double(r.u16());
        case 3: return std::numeric_limits<double>::infinity();
        case 4: return double(r.u16()) * 1e25;
        default: return double(r.u16()) + double(r.byte()) / 256.0;
    }
}

void check_policy(const eplb::Placement& p, int64_t E, const eplb::Topology& t, eplb::Policy policy) {
    const bool strict = policy == eplb::Policy::hierarchical || (policy == eplb::Policy::automatic && t.hierarchical());
    if (!strict) return;
    const int64_t group_size = E / t.groups, per_node = t.replicas / t.nodes;
    for (int64_t l = 0; l < p.layers(); ++l) {
        std::vector<int64_t> node(size_t(t.groups), -1);
        for (int64_t s = 0; s < t.replicas; ++s) {
            const int64_t g = p.phy2log(size_t(l), size_t(s)) / group_size;
            if (node[size_t(g)] < 0) node[size_t(g)] = s / per_node;
            if (node[size_t(g)] != s / per_node) std::abort();  // a group spans nodes
        }
    }
}

// The rules an input may break, as the generator knows them: loads (finite, non-negative, at
// most the limit), replicas (at least the experts, a whole number per GPU), groups dividing the
// experts, and the policy's (nodes holding whole groups where the policy keeps groups at home;
// DeepSeek has no hybrid policy).
bool breaks_no_rule(const xt::xtensor<double, 2>& w, const eplb::Topology& t, int64_t E, const eplb::Options& o) {
    for (double v : w)
        if (!(std::isfinite(v) && v >= 0 && v <= eplb::limits::max_load)) return false;
    if (t.replicas < E || t.replicas % t.gpus != 0 || E % t.groups != 0) return false;
    const bool deepseek = o.algorithm == "deepseek";
    if (deepseek && o.policy == eplb::Policy::hybrid) return false;
    const bool at_home = o.policy == eplb::Policy::hierarchical || o.policy == eplb::Policy::hybrid;
    // Groups that do not divide the nodes: only the global policy (and DeepSeek's auto, which falls
    // back to it) is sure to have room; the others depend on the loads' fit.
    if (t.groups % t.nodes != 0 && (at_home || (o.policy == eplb::Policy::automatic && !deepseek))) return false;
    return true;
}

// DeepSeek's policy as the reference chooses it: hierarchical when the groups divide the nodes.
std::vector<int32_t> oracle_row(const xt::xtensor<double, 2>& w, size_t l, const eplb::Topology& t, eplb::Policy policy) {
    std::vector<float> row(w.shape(1));
    for (size_t e = 0; e < row.size(); ++e) row[e] = float(w(l, e));
    const bool hier = policy != eplb::Policy::global && t.groups % t.nodes == 0;
    return eplb::oracle::literal_deepseek(row, int32_t(t.replicas), hier ? int32_t(t.groups) : 1, hier ? int32_t(t.nodes) : 1,
                                          int32_t(t.gpus));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r{data, size};
    const int64_t L = 1 + r.byte() % 4;
    const int64_t groups = 1 + r.byte() % 8;
    const int64_t E = groups * (1 + r.byte() % 12);
    const int64_t nodes = 1 + r.byte() % 4;
    const int64_t gpus = nodes * (1 + r.byte() % 4);
    int64_t replicas = gpus * ((E + gpus - 1) / gpus + r.byte() % 3);
    const uint8_t twist = r.byte();  // sometimes break a rule on purpose
    if (twist % 13 == 1) replicas -= 1;
    if (twist % 13 == 2) replicas = -replicas;
    const auto names = eplb::algorithms();
    eplb::Options o;
    o.algorithm = names[r.byte() % names.size()];
    o.policy = eplb::Policy(r.byte() % 4);
    eplb::Topology t{replicas, twist % 13 == 3 ? groups + 1 : groups, nodes, gpus};
    auto w = xt::xtensor<double, 2>::from_shape({size_t(L), size_t(E)});
    for (auto& v : w) v = load_from(r);
    eplb::Placement prev;
    const bool with_previous = twist % 5 == 4;
    const bool valid = breaks_no_rule(w, t, E, o);
    try {
        const eplb::Placement p = eplb::rebalance(w, t, o);
        eplb::check_placement(p);
        if (p.layers() != L || p.replicas() != replicas || p.experts() != E) std::abort();
        check_policy(p, E, t, o.policy);
        if (o.algorithm == "deepseek")
            for (int64_t l = 0; l < L; ++l) {
                const std::vector<int32_t> want = oracle_row(w, size_t(l), t, o.policy);
                for (int64_t s = 0; s < replicas; ++s)
                    if (p.phy2log(size_t(l), size_t(s)) != want[size_t(s)]) std::abort();  // differs from the literal steps
            }
        const eplb::Evaluation ev = eplb::evaluate(p, w);
        if (!(ev.balancedness_gpu > 0 && ev.balancedness_gpu <= 1 + 1e-12)) std::abort();
        if (!(ev.balancedness_gpu <= ev.upper_bound + 1e-9)) std::abort();
        if (with_previous) {
            // Migration: rebalance again against this placement with shifted loads.
            for (auto& v : w) v = v * 0.5 + 1;
            eplb::Options again = o;
            again.previous = &p;
            again.max_moves = twist % 3 == 0 ? int64_t(r.byte() % 8) : -1;
            const eplb::Placement q = eplb::rebalance(w, t, again);
            eplb::check_placement(q);
            check_policy(q, E, t, o.policy);
        }
    } catch (const eplb::InvalidInput&) {
        if (valid) std::abort();  // an input that breaks no rule was refused
    }
    return 0;
}
