#pragma once
#include <stdexcept>
#include <string>

namespace eplb {

// A user mistake: bad shapes, bad values, an impossible topology, a malformed file.
// The message names the rule and the values that broke it.
class InvalidInput : public std::invalid_argument {
public:
    explicit InvalidInput(const std::string& message) : std::invalid_argument(message) {}
};

// An input within the rules but beyond the documented size limits (see limits.hpp).
class LimitExceeded : public InvalidInput {
public:
    explicit LimitExceeded(const std::string& message) : InvalidInput(message) {}
};

}  // namespace eplb
