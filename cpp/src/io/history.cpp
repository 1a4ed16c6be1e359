#include "eplb/history.hpp"

#include <cmath>

#include "eplb/error.hpp"
#include "eplb/rebalance.hpp"
#include "format.hpp"

namespace eplb {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

void check_shapes(const std::vector<xt::xtensor<double, 2>>& steps, const std::string& what) {
    if (steps.empty()) throw InvalidInput("the " + what + " has no steps");
    for (size_t i = 1; i < steps.size(); ++i)
        if (steps[i].shape() != steps.front().shape())
            throw InvalidInput("the " + what + " differs in shape: step " + str(int64_t(i)) + " is " +
                               str(int64_t(steps[i].shape(0))) + " x " + str(int64_t(steps[i].shape(1))) +
                               ", step 0 is " + str(int64_t(steps[0].shape(0))) + " x " +
                               str(int64_t(steps[0].shape(1))));
}

}  // namespace

std::vector<std::string> predictors() { return {"sum", "ema", "robust"}; }

xt::xtensor<double, 2> history_sum(const std::vector<xt::xtensor<double, 2>>& windows) {
    validate_history(windows);
    xt::xtensor<double, 2> out = windows.front();
    for (size_t i = 1; i < windows.size(); ++i) out += windows[i];
    try {
        validate_weights(out);
    } catch (const LimitExceeded& e) {
        throw LimitExceeded(std::string("the sum of the load history: ") + e.what());
    }
    return out;
}

xt::xtensor<double, 2> predict_loads(const std::vector<xt::xtensor<double, 2>>& steps, const Predictor& p) {
    check_shapes(steps, "load history");
    const size_t n = steps.size();
    const size_t L = steps.front().shape(0), E = steps.front().shape(1);
    if (p.name == "sum") return history_sum(steps);
    if (p.name == "ema") {
        if (!(p.alpha > 0 && p.alpha <= 1)) throw InvalidInput("ema: alpha (" + detail::format_number(p.alpha) + ") must be in (0, 1]");
        xt::xtensor<double, 2> e = steps.front();
        for (size_t i = 1; i < n; ++i) e = p.alpha * steps[i] + (1 - p.alpha) * e;
        e *= double(n);
        return e;
    }
    if (p.name == "robust") {
        if (!(p.spread >= 0 && std::isfinite(p.spread)))
            throw InvalidInput("robust: spread (" + detail::format_number(p.spread) + ") must be finite and >= 0");
        auto out = xt::xtensor<double, 2>::from_shape({L, E});
        for (size_t l = 0; l < L; ++l) {
            double total = 0, robust_total = 0;
            for (size_t e = 0; e < E; ++e) {
                double sum = 0;
                for (size_t i = 0; i < n; ++i) sum += steps[i](l, e);
                const double mean = sum / double(n);
                double var = 0;
                for (size_t i = 0; i < n; ++i) var += (steps[i](l, e) - mean) * (steps[i](l, e) - mean);
                var /= double(n);
                const double v = mean + p.spread * std::sqrt(var);
                out(l, e) = v;
                total += sum;
                robust_total += v;
            }
            if (robust_total > 0)
                for (size_t e = 0; e < E; ++e) out(l, e) *= total / robust_total;
        }
        return out;
    }
    std::string known;
    for (const auto& k : predictors()) known += (known.empty() ? "" : ", ") + k;
    throw InvalidInput("unknown predictor '" + p.name + "' (known: " + known + ")");
}

std::vector<xt::xtensor<double, 2>> split_windows(const std::vector<xt::xtensor<double, 2>>& steps,
                                                  int64_t steps_per_window) {
    check_shapes(steps, "load history");
    if (steps_per_window < 1)
        throw InvalidInput("steps per window (" + str(steps_per_window) + ") must be at least 1");
    std::vector<xt::xtensor<double, 2>> windows;
    for (size_t i = 0; i < steps.size(); i += size_t(steps_per_window)) {
        xt::xtensor<double, 2> w = steps[i];
        for (size_t j = i + 1; j < std::min(steps.size(), i + size_t(steps_per_window)); ++j) w += steps[j];
        windows.push_back(std::move(w));
    }
    return windows;
}

std::vector<xt::xtensor<double, 2>> read_history_windows(const std::string& json_text, int64_t steps_per_window) {
    return split_windows(read_load_history(json_text), steps_per_window);
}

std::vector<xt::xtensor<double, 2>> read_window_files(const std::vector<std::string>& paths,
                                                      const ReadOptions& options) {
    if (paths.empty()) throw InvalidInput("no load files given for the windows");
    std::vector<xt::xtensor<double, 2>> windows;
    for (size_t i = 0; i < paths.size(); ++i) {
        windows.push_back(read_loads_file(paths[i], options).weights);
        if (windows.back().shape() != windows.front().shape())
            throw InvalidInput("load file " + paths[i] + " is " + str(int64_t(windows.back().shape(0))) + " x " +
                               str(int64_t(windows.back().shape(1))) + ", " + paths[0] + " is " +
                               str(int64_t(windows.front().shape(0))) + " x " +
                               str(int64_t(windows.front().shape(1))));
    }
    return windows;
}

}  // namespace eplb
