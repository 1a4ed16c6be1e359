#include "eplb/placement.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"

namespace eplb {
namespace {
std::string str(int64_t v) { return std::to_string(v); }

// -1 slots mark failed GPUs: every slot of such a GPU in every layer, and not every GPU. Throws
// InvalidInput naming the first slot that breaks it.
void check_failed_slots(const xt::xtensor<int32_t, 2>& phy2log, const Topology& t) {
    const int64_t L = int64_t(phy2log.shape(0)), R = int64_t(phy2log.shape(1)), G = t.gpus;
    if (G <= 0 || R % G != 0)
        throw InvalidInput("phy2log has -1 slots (failed GPUs), which need num_gpus (" + str(G) + ") to divide its " +
                           str(R) + " slots");
    const int64_t S = R / G;
    const int32_t* p = phy2log.data();
    int64_t dead = 0;
    for (int64_t g = 0; g < G; ++g) {
        const bool failed = p[g * S] == -1;
        dead += failed;
        for (int64_t l = 0; l < L; ++l)
            for (int64_t s = g * S; s < (g + 1) * S; ++s)
                if ((p[l * R + s] == -1) != failed)
                    throw InvalidInput("phy2log[" + str(l) + "][" + str(s) + "] = " + str(p[l * R + s]) + " on GPU " + str(g) +
                                       ": -1 marks a failed GPU, so every slot of GPU " + str(g) +
                                       " in every layer must be -1 or none");
    }
    if (dead == G) throw InvalidInput("every slot of phy2log is -1: every GPU is failed");
}
}  // namespace

std::vector<int64_t> failed_gpus(const xt::xtensor<int32_t, 2>& phy2log, const Topology& t) {
    std::vector<int64_t> out;
    const int64_t R = int64_t(phy2log.shape(1));
    if (phy2log.shape(0) == 0 || t.gpus <= 0 || R % t.gpus != 0) return out;
    const int64_t S = R / t.gpus;
    for (int64_t g = 0; g < t.gpus; ++g)
        if (phy2log.data()[g * S] == -1) out.push_back(g);
    return out;
}

Placement placement_from_phy2log(xt::xtensor<int32_t, 2> phy2log, int64_t experts, const Topology& topology) {
    const int64_t L = int64_t(phy2log.shape(0)), R = int64_t(phy2log.shape(1));
    if (L == 0 || R == 0) throw InvalidInput("phy2log is empty");
    if (experts <= 0) throw InvalidInput("number of experts (" + str(experts) + ") must be positive");
    if (L * R > limits::max_placement_cells)
        throw LimitExceeded("phy2log has " + str(L * R) + " cells, beyond the limit of " +
                            str(limits::max_placement_cells));
    Placement p;
    p.topology = topology;
    p.phy2log = std::move(phy2log);
    p.logcnt = xt::zeros<int32_t>({size_t(L), size_t(experts)});
    const int32_t* slots = p.phy2log.data();
    int32_t* cnt = p.logcnt.data();
    bool failed = false;  // -1 slots seen (failed GPUs)
    for (int64_t l = 0; l < L; ++l)
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = slots[l * R + s];
            if (uint32_t(e) >= uint64_t(experts)) {
                if (e == -1) {
                    failed = true;
                    continue;
                }
                throw InvalidInput("phy2log[" + str(l) + "][" + str(s) + "] = " + str(e) +
                                   " is not an expert index in [0, " + str(experts) + ")");
            }
            ++cnt[l * experts + e];
        }
    if (failed) check_failed_slots(p.phy2log, topology);
    int32_t M = 1, fewest = 1;
    for (int64_t i = 0; i < L * experts; ++i) M = std::max(M, cnt[i]), fewest = std::min(fewest, cnt[i]);
    if (fewest == 0)
        for (int64_t i = 0; i < L * experts; ++i)
            if (cnt[i] == 0)
                throw InvalidInput("expert " + str(i % experts) + " of layer " + str(i / experts) + " has no replica");
    if (L * experts * M > limits::max_placement_cells)
        throw LimitExceeded("log2phy would have " + str(L * experts * M) + " cells, beyond the limit of " +
                            str(limits::max_placement_cells));
    p.log2phy = xt::xtensor<int32_t, 3>::from_shape({size_t(L), size_t(experts), size_t(M)});
    int32_t* out = p.log2phy.data();
    std::vector<int32_t> fill(static_cast<size_t>(experts));
    for (int64_t l = 0; l < L; ++l) {
        std::fill(fill.begin(), fill.end(), 0);
        int32_t* row = out + l * experts * M;
        std::fill(row, row + experts * M, -1);  // layer by layer: the slots land while it is in cache
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = slots[l * R + s];
            if (e >= 0) row[e * M + fill[size_t(e)]++] = int32_t(s);
        }
    }
    return p;
}

void check_placement(const Placement& p) {
    const int64_t L = p.layers(), R = p.replicas(), E = p.experts(), M = p.max_replicas();
    if (int64_t(p.logcnt.shape(0)) != L || int64_t(p.log2phy.shape(0)) != L ||
        int64_t(p.log2phy.shape(1)) != E)
        throw InvalidInput("phy2log, log2phy and logcnt disagree in shape");
    int64_t live = R;  // slots of live GPUs per layer
    if (std::find(p.phy2log.begin(), p.phy2log.end(), -1) != p.phy2log.end()) {
        check_failed_slots(p.phy2log, p.topology);
        live = R - int64_t(failed_gpus(p).size()) * (R / p.topology.gpus);
    }
    for (int64_t l = 0; l < L; ++l) {
        int64_t total = 0;
        for (int64_t e = 0; e < E; ++e) {
            const int32_t c = p.logcnt(l, e);
            if (c < 1 || c > M)
                throw InvalidInput("logcnt[" + str(l) + "][" + str(e) + "] = " + str(c) + " is outside [1, " +
                                   str(M) + "]");
            total += c;
            int32_t last = -1;
            for (int64_t k = 0; k < M; ++k) {
                const int32_t s = p.log2phy(l, e, k);
                if (k < c) {
                    if (s <= last || s >= R || p.phy2log(l, s) != e)
                        throw InvalidInput("log2phy[" + str(l) + "][" + str(e) + "] disagrees with phy2log");
                    last = s;
                } else if (s != -1) {
                    throw InvalidInput("log2phy[" + str(l) + "][" + str(e) + "] has more slots than logcnt");
                }
            }
        }
        if (total != live)
            throw InvalidInput("logcnt of layer " + str(l) + " sums to " + str(total) + ", not the " + str(live) +
                               " slots of live GPUs");
    }
}

}  // namespace eplb
