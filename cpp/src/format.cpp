#include "format.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace eplb::detail {

std::string format_number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    if (v == 0) return "0";
    char buf[40];
    if (v == std::floor(v) && std::fabs(v) < 1e21) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    // "1e-09" -> "1e-9", as JavaScript writes exponents.
    std::string s = buf;
    const auto e = s.find('e');
    if (e != std::string::npos && e + 2 < s.size()) {
        size_t first = e + 2;
        while (first + 1 < s.size() && s[first] == '0') s.erase(first, 1);
    }
    return s;
}

}  // namespace eplb::detail
