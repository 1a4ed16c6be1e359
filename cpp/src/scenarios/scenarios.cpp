#include "scenarios/scenarios.hpp"

#include <algorithm>

namespace eplb::detail {

void Scenarios::build(const LayerInput& in) {
    const int64_t W = in.window_count;
    const int32_t E = int32_t(in.experts);
    experts = E;
    // Runs of consecutive windows, as even as they can be: run r holds windows [W*r/R, W*(r+1)/R).
    const int64_t runs = std::min<int64_t>(W, kMaxScenarios);
    std::vector<double> run(size_t(E), 0.0);
    load.clear();
    count = 0;
    std::vector<double> kept;  // [K][E] while collecting
    for (int64_t r = 0; r < runs; ++r) {
        std::fill(run.begin(), run.end(), 0.0);
        for (int64_t k = W * r / runs; k < W * (r + 1) / runs; ++k)
            for (int32_t e = 0; e < E; ++e) run[size_t(e)] += in.windows[k][e];
        double total = 0;
        for (int32_t e = 0; e < E; ++e) total += run[size_t(e)];
        if (!(total > 0)) continue;
        for (int32_t e = 0; e < E; ++e) kept.push_back(run[size_t(e)] / total);
        ++count;
    }
    load.resize(size_t(E) * size_t(count));
    mean.assign(size_t(E), 0.0);
    for (int32_t k = 0; k < count; ++k)
        for (int32_t e = 0; e < E; ++e) {
            const double v = kept[size_t(k) * size_t(E) + size_t(e)];
            load[size_t(e) * size_t(count) + size_t(k)] = v;
            mean[size_t(e)] += v;
        }
    for (auto& m : mean) m /= double(std::max(count, 1));
}

double Scenarios::heaviest_sum(const int32_t* phy2log, int32_t R, int32_t G) const {
    std::vector<int32_t> cnt(size_t(experts), 0);
    for (int32_t s = 0; s < R; ++s) ++cnt[size_t(phy2log[s])];
    std::vector<double> gpu(size_t(G) * size_t(count), 0.0);
    const int32_t S = R / G;
    for (int32_t s = 0; s < R; ++s) {
        const int32_t e = phy2log[s];
        const double* w = of(e);
        double* l = gpu.data() + size_t(s / S) * size_t(count);
        for (int32_t k = 0; k < count; ++k) l[k] += w[k] / double(cnt[size_t(e)]);
    }
    double sum = 0;
    for (int32_t k = 0; k < count; ++k) {
        double top = 0;
        for (int32_t g = 0; g < G; ++g) top = std::max(top, gpu[size_t(g) * size_t(count) + size_t(k)]);
        sum += top;
    }
    return sum;
}

}  // namespace eplb::detail
