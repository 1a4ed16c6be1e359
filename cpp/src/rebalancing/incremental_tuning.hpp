#pragma once
// The incremental mode's tuning constants (incremental.hpp; docs/migration.md: how they were chosen).
#include <cstdint>

namespace eplb::detail {

// Default tolerance: the busiest GPU may be this fraction above the fresh placement's.
constexpr double default_tolerance = 0.005;
// Default mode (previous placement, no tolerance, no max_moves), see Incremental::drift_place.
// The placement in service is kept when no GPU is this much above the fresh placement's busiest.
constexpr double kKeepTolerance = 0.006;
// Decisions are made on w^kShrink (rescaled to the layer's total): regression to the mean.
constexpr double kShrink = 0.95;
// A new group-to-node map must lower the soft maximum of the node loads (scale kNodeSoftness *
// node mean) by more than kRepairGain of a node's mean per exchange of two groups.
constexpr double kRepairGain = 0.012;
constexpr double kNodeSoftness = 0.03;
// Group-to-node maps are enumerated up to this many; above, one exchange at most.
constexpr int64_t kMaxPairings = 20000;
// An expert takes a replica of another when its replica load exceeds the other's (without that
// replica) by more than this fraction.
constexpr double kRecountMargin = 0.1;
// Swaps must lower the soft maximum of the GPU loads (scale kGpuSoftness * mean GPU load) by more
// than kMoveCost * mean GPU load per moved slot; the kGivers busiest GPUs give.
constexpr double kGpuSoftness = 0.02;
constexpr double kMoveCost = 0.0002;
constexpr int32_t kGivers = 16;
// With a history (two or more scenarios), default mode: an exchange of the packer must lower the
// sum over scenarios and GPUs of squared GPU loads by more than this many squared mean GPU loads
// (per scenario) for each slot it moves (docs/migration.md: how it was chosen).
constexpr double kScenarioMoveCost = 0.0002;
// The heaviest replica may be this much heavier than the fresh placement's.
inline double rep_tolerance(double tol) { return 20 * tol; }
// The busiest GPU may be this much busier than the fresh placement's.
inline double load_tolerance(double tol) { return tol; }
// Robust GPU load: load + kappa * sqrt(sum of squared replica loads), about the load a GPU reaches
// when its experts' loads drift by a few tens of percent independently; kept within the tolerance
// of the fresh placement's largest robust load.
inline double robust_kappa() { return 0.3; }

}  // namespace eplb::detail
