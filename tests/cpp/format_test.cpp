// Numbers in messages (cpp/src/format.cpp): the shortest text that reads back to the same double.
#include "format.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "test_util.hpp"

namespace eplb::test {
namespace {

using detail::format_number;

TEST(FormatNumber, AsJavaScriptWritesThem) {
    EXPECT_EQ(format_number(0), "0");
    EXPECT_EQ(format_number(-0.0), "0");
    EXPECT_EQ(format_number(-2), "-2");
    EXPECT_EQ(format_number(1.5), "1.5");
    EXPECT_EQ(format_number(0.1), "0.1");
    EXPECT_EQ(format_number(-1e-9), "-1e-9");
    EXPECT_EQ(format_number(1e300), "1e+300");
    EXPECT_EQ(format_number(1e31), "1e+31");
    EXPECT_EQ(format_number(123456789012), "123456789012");
    EXPECT_EQ(format_number(1e21), "1e+21");
    EXPECT_EQ(format_number(0.30000000000000004), "0.30000000000000004");
    EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN()), "NaN");
    EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(FormatNumber, ShortAndExactForAnyDouble) {
    std::mt19937_64 rng(3);
    for (int i = 0; i < 20000; ++i) {
        uint64_t bits = rng();
        double v;
        std::memcpy(&v, &bits, sizeof v);
        if (!std::isfinite(v)) continue;
        const std::string s = format_number(v);
        EXPECT_LE(s.size(), 24u) << s;
        EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
    }
}

}  // namespace
}  // namespace eplb::test
