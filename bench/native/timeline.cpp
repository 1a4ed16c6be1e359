// Time-series evaluation of rebalancing: for each window, place with the predictor's
// estimate of the window's loads, then measure on the next window's loads (balancedness, GPU) and
// count the slots whose expert changed since the previous placement. Three strategies:
//   reference    DeepSeek's algorithm, a fresh placement every window
//   fresh        the default algorithm, a fresh placement every window
//   incremental  the default algorithm with the previous placement (migration-aware)
// Series: seeded synthetic drifting series (as the public check's lib/series.py: lognormal
// popularity per layer, a slow random walk, now and then an expert that turns hot), or load files
// given in order (one window each).
//
//   eplb_timeline [--preset v3|small|large|all] [--seeds 1,2,3] [--windows 8] [--tolerance T]
//                 [--max-moves K] [--predictor sum|ema|robust] [--history H] [--per-window]
//                 [--policy auto|global|hybrid|hierarchical] [--files a.json b.json ...]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "eplb/eplb.hpp"
#include "rebalancing/incremental.hpp"

namespace {

struct Shape {
    std::string name;
    int64_t layers, experts;
    eplb::Topology topo;
};

// Deterministic normal deviates (Box-Muller on a 64-bit Mersenne Twister), the same on every platform.
class Rng {
public:
    explicit Rng(uint64_t seed) : gen_(seed) {}
    double uniform() { return double(gen_() >> 11) * (1.0 / 9007199254740992.0); }
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1 = uniform(), u2 = uniform();
        if (u1 < 1e-300) u1 = 1e-300;
        const double r = std::sqrt(-2 * std::log(u1)), th = 2 * M_PI * u2;
        spare_ = r * std::sin(th);
        has_spare_ = true;
        return r * std::cos(th);
    }

private:
    std::mt19937_64 gen_;
    bool has_spare_ = false;
    double spare_ = 0;
};

struct SeriesParams {
    int windows = 8;
    double decay = 0.95, drift = 0.1, hot = 0.004, boost = 1.2, tokens = 3e6;
};

std::vector<xt::xtensor<double, 2>> drifting_series(uint64_t seed, int64_t L, int64_t E, const SeriesParams& sp) {
    Rng rng(seed);
    std::vector<double> logp(size_t(L * E));
    for (auto& v : logp) v = rng.normal();
    std::vector<xt::xtensor<double, 2>> out;
    for (int i = 0; i < sp.windows; ++i) {
        for (auto& v : logp) v = sp.decay * v + sp.drift * rng.normal();
        for (auto& v : logp)
            if (rng.uniform() < sp.hot) v += sp.boost;
        auto w = xt::xtensor<double, 2>::from_shape({size_t(L), size_t(E)});
        for (int64_t l = 0; l < L; ++l) {
            double sum = 0;
            for (int64_t e = 0; e < E; ++e) sum += std::exp(logp[size_t(l * E + e)]);
            for (int64_t e = 0; e < E; ++e) w(size_t(l), size_t(e)) = std::round(std::exp(logp[size_t(l * E + e)]) / sum * sp.tokens);
        }
        out.push_back(std::move(w));
    }
    return out;
}

struct Tally {
    int64_t moves = 0;
    std::vector<double> next_bal;
    double seconds = 0;
    int64_t calls = 0;
};

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / double(v.size());
}

struct Args {
    std::vector<std::string> presets{"v3"};
    std::vector<uint64_t> seeds{1, 2, 3, 4, 5, 6, 7, 8};
    SeriesParams sp;
    eplb::Options inc;
    std::string predictor = "sum";
    int history = 1;
    double shrink = 1;
    bool per_window = false;
    eplb::Policy policy = eplb::Policy::automatic;
    std::vector<std::string> files;
};

void run(const Shape& shape, const std::vector<std::vector<xt::xtensor<double, 2>>>& all_series, const Args& args,
         const std::string& label, eplb::detail::IncrementalStats& totals) {
    Tally ref, fresh, inc;
    eplb::Predictor pred;
    pred.name = args.predictor;
    for (size_t si = 0; si < all_series.size(); ++si) {
        const auto& ws = all_series[si];
        eplb::Placement prev_ref, prev_fresh, prev_inc;
        bool have_prev = false;
        for (size_t i = 0; i + 1 < ws.size(); ++i) {
            std::vector<xt::xtensor<double, 2>> hist;
            for (size_t j = i + 1 - std::min<size_t>(i + 1, size_t(args.history)); j <= i; ++j) hist.push_back(ws[j]);
            auto est = eplb::predict_loads(hist, pred);
            if (args.shrink != 1)
                for (auto& v : est) v = std::pow(v, args.shrink);
            eplb::Options o_ref;
            o_ref.algorithm = "deepseek";
            o_ref.policy = args.policy;
            eplb::Options o_fresh;
            o_fresh.policy = args.policy;
            eplb::Options o_inc = args.inc;
            o_inc.policy = args.policy;
            o_inc.previous = have_prev ? &prev_inc : nullptr;
            auto t0 = std::chrono::steady_clock::now();
            eplb::Placement p_ref = eplb::rebalance(est, shape.topo, o_ref);
            auto t1 = std::chrono::steady_clock::now();
            eplb::Placement p_fresh = eplb::rebalance(est, shape.topo, o_fresh);
            auto t2 = std::chrono::steady_clock::now();
            eplb::Placement p_inc = eplb::detail::rebalance_counted(est, shape.topo, o_inc, totals);
            auto t3 = std::chrono::steady_clock::now();
            ref.seconds += std::chrono::duration<double>(t1 - t0).count();
            fresh.seconds += std::chrono::duration<double>(t2 - t1).count();
            if (have_prev) inc.seconds += std::chrono::duration<double>(t3 - t2).count(), ++inc.calls;
            ++ref.calls, ++fresh.calls;
            const auto e_ref = eplb::evaluate(p_ref, ws[i + 1], have_prev ? &prev_ref : nullptr);
            const auto e_fresh = eplb::evaluate(p_fresh, ws[i + 1], have_prev ? &prev_fresh : nullptr);
            const auto e_inc = eplb::evaluate(p_inc, ws[i + 1], have_prev ? &prev_inc : nullptr);
            // Balance on the window it was placed for (how close the incremental stays to fresh).
            const auto now_fresh = eplb::evaluate(p_fresh, ws[i]);
            const auto now_inc = eplb::evaluate(p_inc, ws[i]);
            if (std::getenv("EPLB_TIMELINE_NODECAP")) {
                auto cap = [&](const eplb::Evaluation& ev) {
                    const size_t L = ev.gpu_loads.shape(0), G = ev.gpu_loads.shape(1), N = size_t(shape.topo.nodes);
                    double sm = 0, sx = 0;
                    for (size_t l = 0; l < L; ++l) {
                        double tot = 0, mx = 0;
                        for (size_t n = 0; n < N; ++n) {
                            double s = 0;
                            for (size_t g = n * G / N; g < (n + 1) * G / N; ++g) s += ev.gpu_loads(l, g);
                            tot += s, mx = std::max(mx, s);
                        }
                        sm += tot / double(N), sx += mx;
                    }
                    return sm / sx;
                };
                std::fprintf(stderr, "nodecap next ref %.4f inc %.4f | now ref %.4f inc %.4f\n", cap(e_ref), cap(e_inc),
                             cap(eplb::evaluate(p_ref, ws[i])), cap(now_inc));
            }
            ref.next_bal.push_back(e_ref.balancedness_gpu);
            fresh.next_bal.push_back(e_fresh.balancedness_gpu);
            inc.next_bal.push_back(e_inc.balancedness_gpu);
            const int64_t m_ref = e_ref.moved_slots.value_or(0), m_fresh = e_fresh.moved_slots.value_or(0),
                          m_inc = e_inc.moved_slots.value_or(0);
            ref.moves += m_ref, fresh.moves += m_fresh, inc.moves += m_inc;
            if (args.per_window)
                std::printf("  %-8s seed %-3zu window %zu: next-window bal ref %.4f fresh %.4f inc %.4f | moved ref %6lld fresh %6lld inc %6lld | now fresh %.4f inc %.4f ref %.4f | replica now fresh %.4f inc %.4f ref %.4f\n",
                            label.c_str(), si, i, e_ref.balancedness_gpu, e_fresh.balancedness_gpu, e_inc.balancedness_gpu,
                            (long long)m_ref, (long long)m_fresh, (long long)m_inc, now_fresh.balancedness_gpu,
                            now_inc.balancedness_gpu, eplb::evaluate(p_ref, ws[i]).balancedness_gpu, now_fresh.balancedness_replica, now_inc.balancedness_replica, eplb::evaluate(p_ref, ws[i]).balancedness_replica);
            prev_ref = std::move(p_ref);
            prev_fresh = std::move(p_fresh);
            prev_inc = std::move(p_inc);
            have_prev = true;
        }
    }
    const double rebalances = double(ref.calls - int64_t(all_series.size()));
    const auto& st = totals;  // over every run so far
    if (std::getenv("EPLB_TIMELINE_STATS"))
        std::fprintf(stderr, "incremental layers %lld: repaired %lld (%.1f moves avg), mixed %lld (%.1f), fresh %lld (%.1f moves avg; repair had %.1f)\n",
                     (long long)st.layers, (long long)st.repaired, st.repaired_moves / std::max(1.0, double(st.repaired)),
                     (long long)st.mixed, st.mixed_moves / std::max(1.0, double(st.mixed)),
                     (long long)st.fresh, st.fresh_moves / std::max(1.0, double(st.fresh)),
                     st.repair_failed_moves / std::max(1.0, double(st.fresh)));
    std::printf("| %s | %lldx%lld R%lld Gr%lld N%lld G%lld | %zu x %zu | %.4f | %.4f | %.4f | %.0f | %.0f | %.0f | %.1f%% | %.1f / %.1f ms |\n",
                label.c_str(), (long long)shape.layers, (long long)shape.experts, (long long)shape.topo.replicas,
                (long long)shape.topo.groups, (long long)shape.topo.nodes, (long long)shape.topo.gpus, all_series.size(),
                all_series.empty() ? 0 : all_series[0].size(), mean(ref.next_bal), mean(fresh.next_bal), mean(inc.next_bal),
                ref.moves / std::max(1.0, rebalances), fresh.moves / std::max(1.0, rebalances),
                inc.moves / std::max(1.0, rebalances), 100.0 * double(inc.moves) / double(std::max<int64_t>(1, ref.moves)),
                1e3 * fresh.seconds / double(std::max<int64_t>(1, fresh.calls)),
                1e3 * inc.seconds / double(std::max<int64_t>(1, inc.calls)));
    std::fflush(stdout);
}

std::vector<std::string> split(const std::string& s, char c) {
    std::vector<std::string> out;
    size_t b = 0;
    while (b <= s.size()) {
        size_t e = s.find(c, b);
        if (e == std::string::npos) e = s.size();
        out.push_back(s.substr(b, e - b));
        b = e + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", k.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (k == "--preset") a.presets = split(val(), ',');
        else if (k == "--seeds") {
            a.seeds.clear();
            for (const auto& s : split(val(), ',')) a.seeds.push_back(std::stoull(s));
        } else if (k == "--windows") a.sp.windows = std::stoi(val());
        else if (k == "--drift") a.sp.drift = std::stod(val());
        else if (k == "--decay") a.sp.decay = std::stod(val());
        else if (k == "--shrink") a.shrink = std::stod(val());
        else if (k == "--hot") a.sp.hot = std::stod(val());
        else if (k == "--boost") a.sp.boost = std::stod(val());
        else if (k == "--tolerance") a.inc.tolerance = std::stod(val());
        else if (k == "--max-moves") a.inc.max_moves = std::stoll(val());
        else if (k == "--predictor") a.predictor = val();
        else if (k == "--history") a.history = std::stoi(val());
        else if (k == "--policy") a.policy = eplb::parse_policy(val());
        else if (k == "--per-window") a.per_window = true;
        else if (k == "--files") {
            while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) a.files.push_back(argv[++i]);
        } else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    eplb::detail::IncrementalStats totals;  // the incremental mode's choices over all runs
    std::vector<Shape> shapes;
    for (const auto& p : a.presets) {
        if (p == "v3" || p == "all") shapes.push_back({"v3", 58, 256, {288, 8, 4, 32}});
        if (p == "small" || p == "all") shapes.push_back({"small", 48, 128, {144, 8, 2, 16}});
        if (p == "v3-1node" || p == "all") shapes.push_back({"v3-1node", 58, 256, {288, 8, 1, 32}});
        if (p == "large" || p == "all") shapes.push_back({"large", 61, 1024, {2048, 16, 8, 256}});
    }
    std::printf("| series | shape | series x windows | next-window bal. reference | fresh (default) | incremental | moved/rebalance reference | fresh | incremental | incremental / reference | time fresh / incremental |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    try {
        if (!a.files.empty()) {
            eplb::ReadOptions ro;
            ro.drop_dense_layers = true;
            auto ws = eplb::read_window_files(a.files, ro);
            for (const auto& s : shapes) {
                Shape sh = s;
                sh.layers = int64_t(ws[0].shape(0));
                sh.experts = int64_t(ws[0].shape(1));
                run(sh, {ws}, a, "files", totals);
            }
            return 0;
        }
        for (const auto& s : shapes) {
            std::vector<std::vector<xt::xtensor<double, 2>>> all;
            for (uint64_t seed : a.seeds) all.push_back(drifting_series(seed, s.layers, s.experts, a.sp));
            run(s, all, a, "drift-" + s.name, totals);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
