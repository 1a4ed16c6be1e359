#pragma once
#include <cstdint>
#include <cstring>

namespace eplb::detail {

// The bit pattern of a float. For non-negative floats it orders like the value, so sort keys
// can be built as integers (weight bits, index) and compared without indirection.
inline uint32_t float_bits(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

}  // namespace eplb::detail
