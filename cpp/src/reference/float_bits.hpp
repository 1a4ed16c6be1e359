#pragma once
#include <cstdint>
#include <cstring>

namespace eplb::detail {

// The bit pattern of a float. For non-negative floats it orders like the value, so sort keys
// can be built as integers (weight bits, index) and compared without indirection. -0 (a valid
// load) is read as +0, which it equals: its own bits would order it above every positive float.
inline uint32_t float_bits(float f) {
    f += 0.0f;
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

// A sort key that puts heavier loads first, ties by index: ascending order of
// (~load bits, index).
inline uint64_t heavier_first(float load, uint32_t index) { return (uint64_t(~float_bits(load)) << 32) | index; }

inline float float_value(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

}  // namespace eplb::detail
