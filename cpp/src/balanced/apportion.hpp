#pragma once
#include <cstdint>
#include <vector>

namespace eplb::detail {

// Replica counts: how many of `slots` slots each of `n` experts gets. Every expert gets at least
// one and at most `cap` (cap * n >= slots is required); the counts sum to `slots`. All rules are
// deterministic (ties go to the expert with fewer replicas, then the lower index) and never pile
// replicas on idle experts: among experts that gain nothing, extra slots go round-robin.
enum class Apportionment {
    dhondt,        // largest w / c first: minimises the heaviest replica (the reference's rule)
    sainte_lague,  // largest w / (c + 1/2) first: counts closest to proportional, less top-heavy
    hamilton,      // largest remainder of the quota w * slots / W, floors first
};

class Apportioner {
public:
    void apportion(Apportionment rule, const double* w, int32_t n, int32_t slots, int32_t cap, int32_t* count);

private:
    struct Entry {
        double value;
        int32_t count;
        int32_t expert;
    };
    std::vector<Entry> heap_;
    std::vector<double> quota_;
    void divisor(const double* w, int32_t n, int32_t slots, int32_t cap, double offset, int32_t* count);
};

}  // namespace eplb::detail
