#pragma once
// Helpers shared by the Embind glue: heap pointers in, typed-array copies out, errors as data.
#include <emscripten/val.h>

#include <cstdint>
#include <new>
#include <string>
#include <xtensor/xtensor.hpp>

#include "eplb/error.hpp"
#include "eplb/loads.hpp"

namespace eplb::wasm {

using emscripten::val;

// A copy (not a view) of `n` values at `p` in the WASM heap, as the matching JS typed array.
template <class T>
val copy_out(const T* p, size_t n) {
    return val(emscripten::typed_memory_view(n, p)).call<val>("slice");
}

// A [rows][cols] matrix copied from a JS-malloc'd heap buffer.
template <class T>
xt::xtensor<T, 2> matrix_in(uintptr_t ptr, int64_t rows, int64_t cols) {
    auto m = xt::xtensor<T, 2>::from_shape({size_t(rows), size_t(cols)});
    const T* src = reinterpret_cast<const T*>(ptr);
    std::copy(src, src + rows * cols, m.data());
    return m;
}

// Short strings stay within std::string's inline buffer: no allocation after a bad_alloc.
inline val error_value(const char* code, const char* message) {
    val out = val::object();
    out.set("error", std::string(message));
    out.set("code", std::string(code));
    return out;
}

// Runs `f` and turns the core's exceptions into {error, code} for the JS wrapper to throw.
template <class F>
val guarded(F&& f) {
    try {
        return f();
    } catch (const LimitExceeded& e) {
        return error_value("limit-exceeded", e.what());
    } catch (const InvalidInput& e) {
        return error_value("invalid-input", e.what());
    } catch (const std::bad_alloc&) {
        return error_value("out-of-memory", "out of memory");
    } catch (const std::exception& e) {
        return error_value("internal", e.what());
    } catch (...) {
        return error_value("internal", "unknown internal error");
    }
}

inline int64_t count_of(const val& o, const char* key) { return int64_t(o[key].as<double>()); }

// The core's byte reader over a JS function (pointer, capacity) -> bytes written into the heap
// at pointer (0 at the end, -1 when reading failed: the JS side keeps that error and throws it
// once the core has unwound, so no JS exception ever crosses WebAssembly frames).
inline ByteReader js_reader(const val& read) {
    return [&read](char* buffer, size_t capacity) -> size_t {
        const double n = read(double(reinterpret_cast<uintptr_t>(buffer)), double(capacity)).as<double>();
        if (!(n >= 0 && n <= double(capacity))) throw InvalidInput("the input could not be read");
        return size_t(n);
    };
}

}  // namespace eplb::wasm
