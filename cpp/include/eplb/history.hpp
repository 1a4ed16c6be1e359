#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "eplb/loads.hpp"

namespace eplb {

// Predicts the next window's loads from a history of steps, each [layers][experts].
struct Predictor {
    std::string name = "sum";  // "sum" (the reference: the window's total), "ema", "robust"
    double alpha = 0.5;        // ema: weight of the newest step, in (0, 1]
    double spread = 1.0;       // robust: mean + spread * standard deviation of each expert's load, >= 0
};

// The predicted loads, on the scale of one window of `steps.size()` steps. Throws InvalidInput
// for an empty history, steps of different shapes, an unknown predictor or a parameter out of range.
//  - "sum":    the steps' total (what the reference balances).
//  - "ema":    exponential moving average over the steps, oldest first (e = alpha * step + (1 - alpha) * e),
//              times the number of steps.
//  - "robust": per expert, (mean + spread * std) over the steps, rescaled per layer so that the layer's
//              total equals the steps' total: experts whose load swings (hot experts) weigh more,
//              steady ones less, and the placement stays comparable with the window sum.
xt::xtensor<double, 2> predict_loads(const std::vector<xt::xtensor<double, 2>>& steps, const Predictor& p);

std::vector<std::string> predictors();

// The windows' sum (oldest first, as a serving engine's window sum adds them): what `deepseek`
// places, and what evaluate() measures, for a history. Throws InvalidInput as validate_history.
xt::xtensor<double, 2> history_sum(const std::vector<xt::xtensor<double, 2>>& windows);

// A sequence of windows: consecutive runs of `steps_per_window` steps, each summed; a shorter
// tail run becomes a last, shorter window. Throws InvalidInput for no steps, steps_per_window < 1
// or steps of different shapes.
std::vector<xt::xtensor<double, 2>> split_windows(const std::vector<xt::xtensor<double, 2>>& steps,
                                                  int64_t steps_per_window);

// A vLLM-style load_history (SPEC section 5) read as windows of `steps_per_window` steps.
std::vector<xt::xtensor<double, 2>> read_history_windows(const std::string& json_text, int64_t steps_per_window);

// Several load files (any SPEC section 5 shape; a load_history is summed) read as one window each,
// in the given order. Throws InvalidInput if they differ in shape (after `options`).
std::vector<xt::xtensor<double, 2>> read_window_files(const std::vector<std::string>& paths,
                                                      const ReadOptions& options = {});

}  // namespace eplb
