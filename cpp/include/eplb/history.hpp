#pragma once
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

namespace eplb {

// Predicts the next window's loads from a history of steps, each [layers][experts].
struct Predictor {
    std::string name = "sum";  // "sum" (the reference: the window's total), "ema", "robust"
    double alpha = 0.5;        // ema: weight of the newest step
    double spread = 1.0;       // robust: mean + spread * standard deviation of each expert's load
};

// The predicted loads, on the scale of one window of `steps.size()` steps. Throws InvalidInput
// for an empty history, steps of different shapes or an unknown predictor.
xt::xtensor<double, 2> predict_loads(const std::vector<xt::xtensor<double, 2>>& steps, const Predictor& p);

std::vector<std::string> predictors();

}  // namespace eplb
