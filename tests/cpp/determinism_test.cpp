// Determinism: every algorithm and policy gives, on real loads, the placements recorded in
// tests/data/determinism.json. The suite runs natively and compiled to WebAssembly, so both
// builds are held to the same record. After an intended change of an algorithm, rewrite the
// record with EPLB_WRITE_DETERMINISM=1 build-native/tests/cpp/eplb_tests --gtest_filter='Determinism*'.
#include <cstdlib>
#include <fstream>

#include "test_util.hpp"

namespace eplb::test {
namespace {

uint64_t fnv1a(const xt::xtensor<int32_t, 2>& m) {
    uint64_t h = 1469598103934665603ull;
    for (int32_t v : m) {
        for (int b = 0; b < 4; ++b) {
            h ^= uint8_t(uint32_t(v) >> (8 * b));
            h *= 1099511628211ull;
        }
    }
    return h;
}

TEST(Determinism, PlacementsMatchTheRecord) {
    const std::string path = std::string(EPLB_TEST_DATA) + "/determinism.json";
    const bool write = std::getenv("EPLB_WRITE_DETERMINISM") != nullptr;
    nlohmann::json record = write ? nlohmann::json::object() : nlohmann::json::parse(slurp(path));
    const Topology topologies[] = {{288, 8, 4, 32}, {288, 8, 1, 32}, {256, 8, 1, 32}, {288, 8, 3, 24}};
    const auto files = real_files();
    for (size_t f = 0; f < files.size(); f += 4) {  // 3 of the 12 files keep the suite quick
        const auto w = real_loads(files[f]);
        for (const auto& t : topologies)
            for (const std::string& name : algorithms())
                for (Policy policy : {Policy::automatic, Policy::hybrid}) {
                    Options o;
                    o.algorithm = name;
                    o.policy = policy;
                    if (policy == Policy::hybrid && (name == "deepseek" || !t.hierarchical())) continue;
                    const std::string key = std::filesystem::path(files[f]).stem().string() + "/" +
                                            std::to_string(t.replicas) + "-" + std::to_string(t.groups) + "-" +
                                            std::to_string(t.nodes) + "-" + std::to_string(t.gpus) + "/" + name + "/" +
                                            policy_name(policy);
                    const std::string hash = std::to_string(fnv1a(rebalance(w, t, o).phy2log));
                    if (write)
                        record[key] = hash;
                    else
                        EXPECT_EQ(record.value(key, std::string("missing")), hash) << key;
                }
    }
    // Migration-aware placements (docs/migration.md): from the default placement of the next
    // file, in its default mode, under a tolerance and under a move budget.
    for (size_t f = 0; f < files.size(); f += 4) {
        const auto w = real_loads(files[f]);
        for (const auto& t : {Topology{288, 8, 4, 32}, Topology{288, 8, 1, 32}})
            for (Policy policy : {Policy::automatic, Policy::hybrid}) {
                if (policy == Policy::hybrid && t.nodes == 1) continue;
                Options fresh;
                fresh.policy = policy;
                const Placement previous = rebalance(real_loads(files[f + 1]), t, fresh);
                for (int mode = 0; mode < 3; ++mode) {
                    Options o = fresh;
                    o.previous = &previous;
                    if (mode == 1) o.tolerance = 0.005;
                    if (mode == 2) o.max_moves = 20;
                    const std::string key = std::filesystem::path(files[f]).stem().string() + "/" +
                                            std::to_string(t.nodes) + "-nodes/" + policy_name(policy) + "/incremental-" +
                                            (mode == 0 ? "default" : mode == 1 ? "tolerance" : "budget");
                    const std::string hash = std::to_string(fnv1a(rebalance(w, t, o).phy2log));
                    if (write)
                        record[key] = hash;
                    else
                        EXPECT_EQ(record.value(key, std::string("missing")), hash) << key;
                }
            }
    }
    // Placements for a history of three files (the scenario path of the balanced algorithms).
    for (size_t f = 0; f + 2 < files.size(); f += 4) {
        const LoadHistory history{real_loads(files[f]), real_loads(files[f + 1]), real_loads(files[f + 2])};
        for (const auto& t : {Topology{288, 8, 4, 32}, Topology{288, 8, 1, 32}})
            for (const std::string name : {"default", "sainte-lague"})
                for (Policy policy : {Policy::automatic, Policy::hybrid}) {
                    if (policy == Policy::hybrid && t.nodes == 1) continue;
                    Options o;
                    o.algorithm = name;
                    o.policy = policy;
                    const std::string key = std::filesystem::path(files[f]).stem().string() + "/history-3/" +
                                            std::to_string(t.nodes) + "-nodes/" + name + "/" + policy_name(policy);
                    const std::string hash = std::to_string(fnv1a(rebalance(history, t, o).phy2log));
                    if (write)
                        record[key] = hash;
                    else
                        EXPECT_EQ(record.value(key, std::string("missing")), hash) << key;
                }
    }
    // Uneven clusters (docs/failures.md): failed GPUs fresh, with the placement in service before
    // the failure, and for a history; groups that do not divide the nodes.
    auto check = [&](const std::string& key, const Placement& p) {
        const std::string hash = std::to_string(fnv1a(p.phy2log));
        if (write)
            record[key] = hash;
        else
            EXPECT_EQ(record.value(key, std::string("missing")), hash) << key;
    };
    for (size_t f = 0; f + 2 < files.size(); f += 4) {
        const std::string stem = std::filesystem::path(files[f]).stem().string();
        const auto w = real_loads(files[f]);
        const Topology t{288, 8, 4, 32};
        Options before;
        before.policy = Policy::global;
        const Placement previous = rebalance(real_loads(files[f + 1]), t, before);
        for (const std::vector<int64_t>& failed : {std::vector<int64_t>{5}, std::vector<int64_t>{5, 20}}) {
            const std::string set = failed.size() == 1 ? "failed-5" : "failed-5-20";
            for (const std::string name : {"default", "deepseek"}) {
                Options o;
                o.algorithm = name;
                o.policy = Policy::global;
                o.failed_gpus = failed;
                check(stem + "/" + set + "/" + name + "/global", rebalance(w, t, o));
                if (name == "deepseek") continue;
                o.previous = &previous;
                check(stem + "/" + set + "/" + name + "/global/recovery", rebalance(w, t, o));
                o.previous = nullptr;
                o.policy = Policy::hybrid;
                check(stem + "/" + set + "/" + name + "/hybrid", rebalance(w, t, o));
                const LoadHistory history{w, real_loads(files[f + 1]), real_loads(files[f + 2])};
                check(stem + "/" + set + "/" + name + "/hybrid/history-3", rebalance(history, t, o));
                o.policy = Policy::global;
                check(stem + "/" + set + "/" + name + "/global/history-3", rebalance(history, t, o));
            }
        }
        for (Policy policy : {Policy::hierarchical, Policy::hybrid}) {
            Options o;
            o.policy = policy;
            check(stem + "/288-8-3-24/default/" + policy_name(policy), rebalance(w, {288, 8, 3, 24}, o));
        }
    }
    if (write) std::ofstream(path) << record.dump(1) << "\n";
}

}  // namespace
}  // namespace eplb::test
