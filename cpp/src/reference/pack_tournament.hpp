#pragma once
// The reference's packing, one item at a time: each item, in visiting order, goes to the lightest
// pack with room (ties: the lowest index), float32 loads. The packs' keys (load bits << 32 | pack
// index, a full pack above every other) sit in a tournament (winner tree) whose root is the
// minimum key, the reference's choice. Below the pack index a key carries the pack's item count
// (it never decides a comparison: pack indices differ), so the root alone says where the next
// item goes, at which rank and at what load. An update replays only the leaf's path, a fixed number of
// compare-and-selects with no branches on the data, and the root carries the chosen pack's load:
// the dependency from one choice to the next, which bounds the packing's speed, stays short.
#include <cstddef>
#include <cstdint>

#include "reference/float_bits.hpp"

namespace eplb::detail {

// 2^Levels leaves; pad smaller pack counts with full packs (with_tournament picks the size).
template <int Levels>
class PackTournament {
public:
    static constexpr int32_t kLeaves = 1 << Levels;
    static constexpr uint64_t kFull = ~uint64_t(0);  // above every key (pack indices are small)

    // An empty pack's key. Pack indices below 2^8, counts below 2^24 (limits::max_replicas is
    // 2^20); add() raises the count in place.
    static uint64_t key(float load, int32_t pack) { return (uint64_t(float_bits(load)) << 32) | (uint32_t(pack) << 24); }

    // m <= kLeaves empty packs of `per_pack` items each. Returns the root.
    uint64_t reset(int32_t m, int32_t per_pack) {
        per_pack_ = per_pack;
        for (int32_t p = 0; p < kLeaves; ++p) node_[kLeaves + p] = p < m ? key(0.0f, p) : kFull;
        for (int32_t i = kLeaves - 1; i >= 1; --i) node_[i] = min(node_[2 * i], node_[2 * i + 1]);
        return root_ = node_[1];
    }

    // The next item: returns its pack; `rank` is its place in that pack. (Always inlined: it is
    // the packing's inner loop, and WebAssembly builds otherwise keep it a call.)
    __attribute__((always_inline)) int32_t add(float weight, int32_t& rank) {
        const uint32_t low = uint32_t(root_);
        const int32_t best = int32_t(low >> 24);
        rank = int32_t(low & 0xFFFFFFu);
        const float load = float_value(uint32_t(root_ >> 32)) + weight;
        update(best, rank + 1 == per_pack_ ? kFull : (uint64_t(float_bits(load)) << 32) | (low + 1));
        return best;
    }

    // Sets a pack's key; returns the new root.
    __attribute__((always_inline)) uint64_t update(int32_t pack, uint64_t k) {
        size_t i = size_t(kLeaves + pack);
        node_[i] = k;
        for (int level = 0; level < Levels; ++level, i >>= 1) node_[i >> 1] = k = min(k, node_[i ^ 1]);
        return root_ = k;
    }

private:
    static uint64_t min(uint64_t a, uint64_t b) { return b < a ? b : a; }

    int32_t per_pack_ = 1;
    uint64_t root_ = kFull;
    uint64_t node_[2 * kLeaves];
};

constexpr int32_t kTournamentMaxPacks = 256;  // pack indices fit the key's 8 bits

// Calls f with an empty tournament (on the stack) sized for m <= kTournamentMaxPacks packs.
template <class F>
void with_tournament(int32_t m, F&& f) {
    if (m <= 8) {
        PackTournament<3> t;
        f(t);
    } else if (m <= 16) {
        PackTournament<4> t;
        f(t);
    } else if (m <= 32) {
        PackTournament<5> t;
        f(t);
    } else if (m <= 64) {
        PackTournament<6> t;
        f(t);
    } else if (m <= 128) {
        PackTournament<7> t;
        f(t);
    } else {
        PackTournament<8> t;
        f(t);
    }
}

}  // namespace eplb::detail
