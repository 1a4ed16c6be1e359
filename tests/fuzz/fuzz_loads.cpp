// libFuzzer target: the load-file and placement-file readers on arbitrary bytes. Any input must
// either parse into a consistent result or throw eplb::InvalidInput; nothing else may escape.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "eplb/eplb.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        eplb::ReadOptions o;
        o.drop_dense_layers = size % 2 == 1;
        const eplb::LoadFile f = eplb::read_loads(text, o);
        if (f.weights.shape(0) == 0 || f.weights.shape(1) == 0) std::abort();
        if (f.kept_layers.size() != f.weights.shape(0)) std::abort();
        for (double v : f.weights)
            if (!std::isfinite(v) || v < 0) std::abort();
    } catch (const eplb::InvalidInput&) {
    }
    try {
        const eplb::Placement p = eplb::placement_from_json(text, {0, 1, 1, 1});
        eplb::check_placement(p);
    } catch (const eplb::InvalidInput&) {
    }
    return 0;
}
