#pragma once
// The lightest pack with room, for the reference's packing: a tournament (winner tree) over the
// packs' keys (load bits << 32 | pack index), a full pack keyed above every other. The root is
// the minimum key: the lightest load, ties to the lowest index, as the reference chooses. An
// update replays only the leaf's path, a fixed number of compare-and-selects with no branches on
// the data; the packing's step to step dependency (choose, add the item, choose again) is then
// short, which is what bounds its speed.
#include <cstdint>

#include "float_bits.hpp"

namespace eplb::detail {

class PackTournament {
public:
    static constexpr int32_t kMaxPacks = 64;
    static constexpr uint64_t kFull = ~uint64_t(0);  // above every key (pack indices are small)

    static uint64_t key(float load, int32_t pack) { return (uint64_t(float_bits(load)) << 32) | uint32_t(pack); }
    static float load_of(uint64_t key) { return float_value(uint32_t(key >> 32)); }
    static int32_t pack_of(uint64_t key) { return int32_t(uint32_t(key)); }

    // Packs 0..m-1 (m <= kMaxPacks) empty. Returns the root.
    uint64_t reset(int32_t m) {
        leaves_ = 1;
        while (leaves_ < m) leaves_ *= 2;
        for (int32_t p = 0; p < leaves_; ++p) node_[leaves_ + p] = p < m ? key(0.0f, p) : kFull;
        for (int32_t i = leaves_ - 1; i >= 1; --i) node_[i] = min(node_[2 * i], node_[2 * i + 1]);
        return node_[1];
    }

    // Sets a pack's key; returns the new root.
    uint64_t update(int32_t pack, uint64_t k) {
        int32_t i = leaves_ + pack;
        node_[i] = k;
        for (; i > 1; i >>= 1) node_[i >> 1] = k = min(k, node_[i ^ 1]);
        return k;
    }

private:
    static uint64_t min(uint64_t a, uint64_t b) { return b < a ? b : a; }

    int32_t leaves_ = 1;
    uint64_t node_[2 * kMaxPacks];
};

}  // namespace eplb::detail
