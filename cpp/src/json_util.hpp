#pragma once
// JSON parsing shared by the load-file and placement readers.
#include <nlohmann/json.hpp>
#include <string>

namespace eplb::detail {

// Parses with the depth and size limits; malformed text becomes InvalidInput("malformed JSON: ...").
nlohmann::json parse_json(const std::string& text, const char* what);

// Reads a whole file, refusing files beyond limits::max_file_bytes.
std::string read_text_file(const std::string& path);

// A JSON number that is a non-negative integer fitting int64, else InvalidInput naming `key`.
int64_t json_count(const nlohmann::json& v, const std::string& key);

}  // namespace eplb::detail
