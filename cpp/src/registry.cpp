#include <memory>

#include "algorithm.hpp"
#include "balanced/balanced.hpp"
#include "reference/deepseek.hpp"

namespace eplb::detail {
namespace {

template <class T>
std::unique_ptr<Algorithm> make() {
    return std::make_unique<T>();
}

std::unique_ptr<Algorithm> make_balanced() {
    return std::make_unique<Balanced>(Apportionment::dhondt, true, true);
}
std::unique_ptr<Algorithm> make_sainte_lague() {
    return std::make_unique<Balanced>(Apportionment::sainte_lague, false, false);
}
std::unique_ptr<Algorithm> make_hamilton() {
    return std::make_unique<Balanced>(Apportionment::hamilton, false, false);
}

}  // namespace

const std::vector<AlgorithmEntry>& algorithm_registry() {
    static const std::vector<AlgorithmEntry> entries = {
        {"default", "the recommended algorithm (currently balanced): given a history of windows, placed for all of them at once", &make_balanced},
        {"deepseek", "DeepSeek's reference EPLB, reproduced exactly (a history: its sum)", &make<DeepSeek>},
        {"balanced", "replica counts chosen jointly with packing, local search over all GPU pairs, no duplicate replicas on a GPU, never worse than deepseek per layer; a history: even GPU loads in every window", &make_balanced},
        {"sainte-lague", "Sainte-Lague replica counts, then balanced's packing and local search", &make_sainte_lague},
        {"hamilton", "Hamilton (largest remainder) replica counts, then balanced's packing and local search", &make_hamilton},
    };
    return entries;
}

}  // namespace eplb::detail
