#include <memory>

#include "algorithm.hpp"
#include "deepseek.hpp"

namespace eplb::detail {
namespace {

template <class T>
std::unique_ptr<Algorithm> make() {
    return std::make_unique<T>();
}

}  // namespace

const std::vector<AlgorithmEntry>& algorithm_registry() {
    static const std::vector<AlgorithmEntry> entries = {
        {"default", "the recommended algorithm (currently deepseek)", &make<DeepSeek>},
        {"deepseek", "DeepSeek's reference EPLB, reproduced exactly", &make<DeepSeek>},
    };
    return entries;
}

}  // namespace eplb::detail
