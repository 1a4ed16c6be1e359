// libFuzzer target: the load-file and placement-file readers on arbitrary bytes. Any input must
// either parse into a consistent result or throw eplb::InvalidInput; nothing else may escape.
// The streaming readers, fed in chunks of a size taken from the input, must give the same
// result (or the same message) as the readers of the whole text.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "eplb/eplb.hpp"

namespace {

eplb::ByteReader chunks(const std::string& text, size_t size) {
    return [&text, size, at = size_t(0)](char* buf, size_t cap) mutable {
        const size_t n = std::min({size, cap, text.size() - at});
        std::copy(text.data() + at, text.data() + at + n, buf);
        at += n;
        return n;
    };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const size_t chunk = 1 + (size ? data[0] % 13 : 0);
    eplb::ReadOptions o;
    o.drop_dense_layers = size % 2 == 1;
    if (size % 3 == 0) o.steps_per_window = 2;
    std::string whole_error = "none", stream_error = "none";
    eplb::LoadFile whole, streamed;
    try {
        whole = eplb::read_loads(text, o);
        if (whole.weights.shape(0) == 0 || whole.weights.shape(1) == 0) std::abort();
        if (whole.kept_layers.size() != whole.weights.shape(0)) std::abort();
        for (double v : whole.weights)
            if (!std::isfinite(v) || v < 0) std::abort();
    } catch (const eplb::InvalidInput& e) {
        whole_error = e.what();
    }
    try {
        streamed = eplb::read_loads_stream(chunks(text, chunk), o);
    } catch (const eplb::InvalidInput& e) {
        stream_error = e.what();
    }
    if (whole_error != stream_error) std::abort();
    if (whole_error == "none" && (whole.weights != streamed.weights || whole.windows != streamed.windows)) std::abort();
    try {
        const eplb::Placement p = eplb::placement_from_json(text, {0, 1, 1, 1});
        eplb::check_placement(p);
        const eplb::Placement q = eplb::placement_from_json_stream(chunks(text, chunk), {0, 1, 1, 1});
        if (q.phy2log != p.phy2log) std::abort();
    } catch (const eplb::InvalidInput&) {
    }
    return 0;
}
