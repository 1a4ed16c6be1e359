#include "eplb/placement.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"

namespace eplb {
namespace {
std::string str(int64_t v) { return std::to_string(v); }
}  // namespace

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
    for (int64_t l = 0; l < L; ++l)
        for (int64_t s = 0; s < R; ++s) {
            const int32_t e = slots[l * R + s];
            if (uint32_t(e) >= uint64_t(experts))
                throw InvalidInput("phy2log[" + str(l) + "][" + str(s) + "] = " + str(e) +
                                   " is not an expert index in [0, " + str(experts) + ")");
            ++cnt[l * experts + e];
        }
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
            row[e * M + fill[size_t(e)]++] = int32_t(s);
        }
    }
    return p;
}

void check_placement(const Placement& p) {
    const int64_t L = p.layers(), R = p.replicas(), E = p.experts(), M = p.max_replicas();
    if (int64_t(p.logcnt.shape(0)) != L || int64_t(p.log2phy.shape(0)) != L ||
        int64_t(p.log2phy.shape(1)) != E)
        throw InvalidInput("phy2log, log2phy and logcnt disagree in shape");
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
        if (total != R)
            throw InvalidInput("logcnt of layer " + str(l) + " sums to " + str(total) + ", not num_replicas (" +
                               str(R) + ")");
    }
}

}  // namespace eplb
