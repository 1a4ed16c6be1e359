#include "json_util.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"

namespace eplb::detail {
namespace {

// "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
std::string plain(const std::string& what) {
    auto close = what.find("] ");
    return what.rfind("[json.exception", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

}  // namespace

nlohmann::json parse_json(const std::string& text, const char* what) {
    if (int64_t(text.size()) > limits::max_file_bytes)
        throw LimitExceeded(std::string(what) + " is " + std::to_string(text.size()) + " bytes, beyond the limit of " +
                            std::to_string(limits::max_file_bytes));
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw InvalidInput(std::string(what) + " is empty");
    auto depth_guard = [](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
        if ((event == nlohmann::json::parse_event_t::object_start ||
             event == nlohmann::json::parse_event_t::array_start) &&
            depth >= limits::max_json_depth)
            throw InvalidInput("JSON nesting deeper than " + std::to_string(limits::max_json_depth) + " levels");
        return true;
    };
    try {
        return nlohmann::json::parse(text, depth_guard);
    } catch (const nlohmann::json::exception& e) {
        throw InvalidInput("malformed JSON in " + std::string(what) + ": " + plain(e.what()));
    }
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw InvalidInput("cannot open file '" + path + "'");
    const std::streamoff size = in.tellg();
    if (size < 0) throw InvalidInput("cannot read file '" + path + "'");
    if (int64_t(size) > limits::max_file_bytes)
        throw LimitExceeded("file '" + path + "' is " + std::to_string(size) + " bytes, beyond the limit of " +
                            std::to_string(limits::max_file_bytes));
    std::string text(size_t(size), '\0');
    in.seekg(0);
    if (!in.read(text.data(), size)) throw InvalidInput("cannot read file '" + path + "'");
    return text;
}

int64_t json_count(const nlohmann::json& v, const std::string& key) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<uint64_t>();
        if (u > uint64_t(INT64_MAX)) throw InvalidInput(key + " is too large");
        return int64_t(u);
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::floor(d) == d && std::fabs(d) < 9.0e15) return int64_t(d);
    }
    throw InvalidInput(key + " must be an integer (got " + v.dump().substr(0, 40) + ")");
}

}  // namespace eplb::detail
