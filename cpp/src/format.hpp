#pragma once
// Numbers in messages: as short as they can be while reading back to the same double, the way
// JavaScript prints them ("-1e-9", "1e+300", "0.1"), never "-0.000000" or hundreds of digits.
#include <string>

namespace eplb::detail {

std::string format_number(double v);

}  // namespace eplb::detail
