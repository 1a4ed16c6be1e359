#pragma once
// Recovery after GPUs fail or come back (docs/failures.md): the placement in service, moved onto
// the live GPUs with as few changes as can be, then mended until its busiest GPU is near the
// least a placement could reach, each change the one that lowers the busiest GPU most.
#include <memory>
#include <vector>

#include "algorithm.hpp"
#include "reference/deepseek.hpp"
#include "layout.hpp"

namespace eplb::detail {

// The busiest GPU may end this fraction above the lower bound of any placement (the mean GPU
// load; hierarchical: the busiest node's mean): below it, the mend stops changing slots. How it
// was chosen: docs/failures.md.
constexpr double kRecoverySlack = 0.008;
// Global policy: nor need it be more than this fraction lighter than the busiest GPU of the
// reference's fresh placement (what a full reshuffle would give; docs/failures.md).
constexpr double kReferenceMargin = 0.003;

// One layer of the placement in service, on the live GPUs (compact, `slots_per_gpu` slots each;
// -1: a free slot of a GPU back in service), made a valid placement: every slot an expert,
// every expert a slot. Slots that need no change keep their experts.
//  1. Experts that lost their last replica first, heaviest first: each into a free slot, or
//     else the slot of an expert with a replica to spare; of these, the one where the busiest
//     GPU it changes ends lightest (the slot's GPU gains the expert, the donor's other GPUs its
//     share). Hierarchical and hybrid: on the group's node (the node holding most of the
//     group's slots) when that node has a free slot or a spare replica, else anywhere.
//  2. Free slots left: each, lightest GPU first, to the expert whose replicas are heaviest (one
//     not on that GPU yet where possible); hierarchical: among the experts of groups on its node.
// `layout` gives the nodes (hierarchical and hybrid; ignored for the global policy).
void recover_start(const double* w, int32_t experts, int32_t groups, const int32_t* previous, int32_t slots,
                   int32_t slots_per_gpu, const NodeLayout* layout, Policy policy, int32_t* out);

// With the placement in service (in.previous, a valid placement on the GPUs placed on, e.g. from
// recover_start), the mend: while the busiest GPU is more than kRecoverySlack (or
// Options::tolerance) above the lower bound (global policy, default tolerance: and above the
// busiest GPU of the reference's fresh placement, which a full reshuffle would give), the change
// of fewest slots that brings it there,
// else the one that lowers it most: an exchange of two slots (with a lighter GPU), or a slot of
// the busiest GPU given to another expert (replica counts change: the giver's other replicas get
// heavier, the taker's lighter). Within a node for the hierarchical and hybrid policies (hybrid:
// an expert keeps its replicas' nodes); at most one replica of an expert per GPU; at most
// max_moves changed slots. Without a placement in service, or one that breaks the hierarchical
// policy, the wrapped algorithm places afresh.
class Recovery : public Algorithm {
public:
    explicit Recovery(std::unique_ptr<Algorithm> inner) : inner_(std::move(inner)) {}
    void place(const LayerInput& in, LayerOutput out) override;
    bool supports(Policy p) const override { return inner_->supports(p); }
    bool supports_uneven() const override { return inner_->supports_uneven(); }

private:
    std::unique_ptr<Algorithm> inner_;
    DeepSeek reference_;
    std::vector<int32_t> reference_row_;
    // Per layer.
    const double* w_ = nullptr;
    int32_t E_ = 0, R_ = 0, S_ = 0, G_ = 0;
    std::vector<int32_t> region_, region_first_;  // per GPU its region (node); regions' first GPUs
    std::vector<int32_t> x_, cnt_, occ_;           // slots, replica counts, occ_[e * G + g]
    std::vector<double> load_, r_;                 // per GPU, per expert (w / cnt)
    bool holds_policy(const LayerInput& in);
    // The busiest GPU the mend stops at: the bound (mean, or hierarchical the busiest node's mean)
    // plus the slack, and for the global policy at least the reference's fresh answer's.
    double mend_target(const LayerInput& in, double total);
    void reload();  // r_ and load_ from x_ and cnt_
    void mend(const LayerInput& in, int32_t* out);
};

}  // namespace eplb::detail
