#pragma once
// The whole public API of the eplb core.
#include "eplb/error.hpp"
#include "eplb/evaluate.hpp"
#include "eplb/history.hpp"
#include "eplb/limits.hpp"
#include "eplb/loads.hpp"
#include "eplb/placement.hpp"
#include "eplb/placement_json.hpp"
#include "eplb/rebalance.hpp"
#include "eplb/topology.hpp"
