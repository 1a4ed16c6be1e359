// rebalance() and placement_from_json() for JS. rebalance writes only phy2log, into a buffer the
// JS wrapper allocated (it knows the sizes); placement_from_json adds the sizes read from the
// file. The wrapper derives logcnt, log2phy and maxReplicas from phy2log when they are read.
#include <emscripten/bind.h>

#include <algorithm>

#include "eplb/placement_json.hpp"
#include "eplb/rebalance.hpp"
#include "glue.hpp"

namespace eplb::wasm {
namespace {

val placement_value(const xt::xtensor<int32_t, 2>& phy2log, int64_t experts, const Topology& t,
                    const std::string& algorithm) {
    val out = val::object();
    out.set("layers", double(phy2log.shape(0)));
    out.set("experts", double(experts));
    out.set("replicas", double(phy2log.shape(1)));
    out.set("groups", double(t.groups));
    out.set("nodes", double(t.nodes));
    out.set("gpus", double(t.gpus));
    out.set("algorithm", algorithm);
    out.set("phy2log", copy_out(phy2log.data(), phy2log.size()));
    val failed = val::array();
    for (int64_t g : failed_gpus(phy2log, t)) failed.call<void>("push", double(g));
    out.set("failedGpus", failed);
    return out;
}

// phy2log packed as js/log2phy.js unpackPhy2log reads it: the fewest bits that hold [0, E),
// K = 30 / bits indices a word (small integers in V8), lowest bits first. K is a template
// argument so that the loop over a word's indices unrolls (the packing of a 61x1024 placement
// was 6% of the call with a runtime K).
template <int K>
void pack_words(const int32_t* p, size_t n, int bits, int32_t* out) {
    const size_t full = n / K;
    for (size_t w = 0; w < full; ++w, p += K) {
        uint32_t x = 0;
        for (int t = 0; t < K; ++t) x |= uint32_t(p[t]) << (t * bits);
        out[w] = int32_t(x);
    }
    if (n % K) {
        uint32_t x = 0;
        for (size_t t = 0; t < n % K; ++t) x |= uint32_t(p[t]) << (t * bits);
        out[full] = int32_t(x);
    }
}

// Returns the bits per index. With -1 slots (failed GPUs), every value is stored plus one, in the
// bits that hold [0, E], and the bits are returned negated (js/log2phy.js unpackPhy2log).
template <int K>
void pack_words_plus_one(const int32_t* p, size_t n, int bits, int32_t* out) {
    const size_t full = n / K;
    for (size_t w = 0; w < full; ++w, p += K) {
        uint32_t x = 0;
        for (int t = 0; t < K; ++t) x |= uint32_t(p[t] + 1) << (t * bits);
        out[w] = int32_t(x);
    }
    if (n % K) {
        uint32_t x = 0;
        for (size_t t = 0; t < n % K; ++t) x |= uint32_t(p[t] + 1) << (t * bits);
        out[full] = int32_t(x);
    }
}

int pack_phy2log(const int32_t* p, size_t n, int64_t E, int32_t* out) {
    if (std::find(p, p + n, -1) != p + n) {
        int bits = 1;
        while (bits < 30 && (int64_t(1) << bits) < E + 1) bits++;
        switch (30 / bits) {  // a failure is rare: the common widths unrolled, the rest one at a time
            case 3: pack_words_plus_one<3>(p, n, bits, out); break;
            case 2: pack_words_plus_one<2>(p, n, bits, out); break;
            default: pack_words_plus_one<1>(p, n, bits, out); break;
        }
        return -bits;
    }
    int bits = 1;
    while (bits < 30 && (int64_t(1) << bits) < E) bits++;
    switch (30 / bits) {
        case 1: pack_words<1>(p, n, bits, out); break;
        case 2: pack_words<2>(p, n, bits, out); break;
        case 3: pack_words<3>(p, n, bits, out); break;
        case 4: pack_words<4>(p, n, bits, out); break;
        case 5: pack_words<5>(p, n, bits, out); break;
        case 6: pack_words<6>(p, n, bits, out); break;
        case 7: pack_words<7>(p, n, bits, out); break;
        case 10: pack_words<10>(p, n, bits, out); break;
        case 15: pack_words<15>(p, n, bits, out); break;
        default: pack_words<30>(p, n, bits, out); break;  // bits == 1
    }
    return bits;
}

Topology topology_of(const val& o) {
    return Topology{count_of(o, "replicas"), count_of(o, "groups"), count_of(o, "nodes"), count_of(o, "gpus")};
}

// weights: [windows*layers*experts] doubles, the history's windows oldest first (one window: the
// loads); o: the validated options (see js/api.js); previous: a
// [layers*replicas] int32 phy2log or 0; out: a [layers*replicas] int32 heap buffer that receives
// phy2log packed (pack_phy2log; the JS wrapper copies the words out). Returns the bits per
// index, or {error, code}.
val rebalance_js(uintptr_t weights, val o, uintptr_t previous, uintptr_t out) {
    return guarded([&] {
        const int64_t K = count_of(o, "windows"), L = count_of(o, "layers"), E = count_of(o, "experts");
        const Topology t = topology_of(o);
        Options opt;
        for (double g : emscripten::vecFromJSArray<double>(o["failedGpus"])) opt.failed_gpus.push_back(int64_t(g));
        opt.algorithm = o["algorithm"].as<std::string>();
        opt.policy = parse_policy(o["policy"].as<std::string>());
        opt.max_moves = count_of(o, "maxMoves");
        opt.tolerance = o["tolerance"].as<double>();
        // onProgress (the wrapper's): (layers done, layers) -> < 0 to stop (its own error is
        // kept by the wrapper and thrown once the core has unwound).
        const val on_progress = o["onProgress"];
        if (on_progress.typeOf().as<std::string>() == "function")
            opt.progress = [&on_progress](int64_t done, int64_t total) {
                if (on_progress(double(done), double(total)).as<double>() < 0) throw InvalidInput("rebalance stopped by onProgress");
            };
        Placement prev;
        if (previous) {
            prev = placement_from_phy2log(matrix_in<int32_t>(previous, L, t.replicas), E, t);
            opt.previous = &prev;
        }
        const auto phy2log = rebalance_phy2log(reinterpret_cast<const double*>(weights), K, L, E, t, opt);
        return val(pack_phy2log(phy2log.data(), phy2log.size(), E, reinterpret_cast<int32_t*>(out)));
    });
}

// A SPEC section 2 placement file (or SGLang's physical_to_logical_map), its bytes from `read`
// (see js_reader); o: fallback topology {groups, nodes, gpus} and experts (-1: read off the file).
val placement_from_json_js(val read, val o) {
    return guarded([&] {
        Topology fallback{0, count_of(o, "groups"), count_of(o, "nodes"), count_of(o, "gpus")};
        const Placement p = placement_from_json_stream(js_reader(read), fallback, count_of(o, "experts"));
        return placement_value(p.phy2log, p.experts(), p.topology, p.algorithm);
    });
}

val algorithms_js() {
    val out = val::array();
    for (const auto& name : algorithms()) out.call<void>("push", name);
    return out;
}

// [{name, summary}] of every algorithm.
val algorithm_info_js() {
    val out = val::array();
    for (const auto& a : algorithm_info()) {
        val o = val::object();
        o.set("name", a.name);
        o.set("summary", a.summary);
        out.call<void>("push", o);
    }
    return out;
}

// The policies of `algorithm` ("": every policy name), or {error, code} for an unknown algorithm.
val policies_js(std::string algorithm) {
    return guarded([&] {
        val out = val::array();
        for (const auto& name : algorithm.empty() ? policies() : policies(algorithm)) out.call<void>("push", name);
        return out;
    });
}

}  // namespace
}  // namespace eplb::wasm

EMSCRIPTEN_BINDINGS(eplb_placement) {
    emscripten::function("rebalance", &eplb::wasm::rebalance_js);
    emscripten::function("placementFromJSON", &eplb::wasm::placement_from_json_js);
    emscripten::function("algorithms", &eplb::wasm::algorithms_js);
    emscripten::function("algorithmInfo", &eplb::wasm::algorithm_info_js);
    emscripten::function("policies", &eplb::wasm::policies_js);
}
