#pragma once
#include <string>

#include "eplb/loads.hpp"
#include "eplb/placement.hpp"

namespace eplb {

// {"phy2log": [[..]], "log2phy": [[[..]]], "logcnt": [[..]], "num_replicas": R, "num_groups": Gr,
//  "num_nodes": N, "num_gpus": G, "algorithm": "..."} as in SPEC section 2.
std::string placement_to_json(const Placement& p);

// Reads a placement file: the keys above, or only "phy2log" (logcnt and log2phy are derived and,
// when present, checked against it), or SGLang's {"physical_to_logical_map": ...}. Topology keys
// missing from the file are taken from `fallback`. Throws InvalidInput when inconsistent.
// The text is read as a stream of JSON events (no parsed tree).
Placement placement_from_json(const std::string& json_text, const Topology& fallback = {},
                              int64_t experts = -1);
// The same from a stream of bytes (see ByteReader in loads.hpp): the text is never held whole.
Placement placement_from_json_stream(const ByteReader& read, const Topology& fallback = {}, int64_t experts = -1);

}  // namespace eplb
