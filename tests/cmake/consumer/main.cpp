// Places a small matrix with the installed library and checks the placement.
#include <eplb/eplb.hpp>

#include <cstdio>

int main() {
    const xt::xtensor<double, 2> w{{10, 1, 1, 1, 5, 2, 3, 4}};
    eplb::Options o;
    o.algorithm = "deepseek";
    const eplb::Placement p = eplb::rebalance(w, {12, 2, 1, 4}, o);
    eplb::check_placement(p);
    std::printf("eplb %s: balancedness %.4f\n", p.algorithm.c_str(), eplb::evaluate(p, w).balancedness_gpu);
    return p.replicas() == 12 ? 0 : 1;
}
