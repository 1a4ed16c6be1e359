"""Times DeepSeek's Python reference (its eplb.py, given by path; not part of this project) on the
benchmark suite's inputs, and returns its placements for a parity check.

    /usr/bin/python3 bench/lib/reference_timer.py EPLB_PY MANIFEST.json CALLS.json
    /usr/bin/python3 bench/lib/reference_timer.py EPLB_PY MANIFEST.json --serve [CASE ...]

MANIFEST.json is the list bench/run.mjs writes for the native target: name, path (raw little-endian
float64, row-major), layers, experts, replicas, groups, nodes, gpus. CALLS.json maps a case name to
the number of timed calls (one untimed warm-up call first). Prints one JSON object:
{"torch": version, "threads": n, "cases": {name: {"times_ms": [...], "cpu_ms": [...], "phy2log": [...flat...]}}}.
With --serve (on the named cases, default all) it prints 'ready', then reads case names from stdin, one a line, and answers each with the wall and CPU
milliseconds of one call on that case (after one untimed warm-up call per case at start), for timing interleaved
with other implementations.
"""
import importlib.util
import json
import sys
import time

import numpy as np
import torch


def load_reference(path):
    spec = importlib.util.spec_from_file_location("eplb_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inputs(case):
    w = np.fromfile(case["path"], dtype="<f8").reshape(case["layers"], case["experts"])
    return torch.from_numpy(w.copy()), (case["replicas"], case["groups"], case["nodes"], case["gpus"])


def serve(ref, manifest):
    cases = {case["name"]: inputs(case) for case in manifest}
    for weight, args in cases.values():
        ref.rebalance_experts(weight, *args)
    print("ready", flush=True)
    for line in sys.stdin:
        weight, args = cases[line.strip()]
        start, cpu = time.perf_counter(), time.process_time()
        ref.rebalance_experts(weight, *args)
        print((time.perf_counter() - start) * 1e3, (time.process_time() - cpu) * 1e3, flush=True)


def main():
    ref = load_reference(sys.argv[1])
    with open(sys.argv[2]) as f:
        manifest = json.load(f)
    if sys.argv[3] == "--serve":
        serve(ref, [case for case in manifest if case["name"] in sys.argv[4:]] or manifest)
        return
    with open(sys.argv[3]) as f:
        calls = json.load(f)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cases": {}}
    for case in manifest:
        name = case["name"]
        if name not in calls:
            continue
        weight, args = inputs(case)
        phy2log = ref.rebalance_experts(weight, *args)[0]
        times, cpu_times = [], []
        for _ in range(int(calls[name])):
            start, cpu = time.perf_counter(), time.process_time()
            ref.rebalance_experts(weight, *args)
            times.append((time.perf_counter() - start) * 1e3)
            cpu_times.append((time.process_time() - cpu) * 1e3)
        out["cases"][name] = {"times_ms": times, "cpu_ms": cpu_times, "phy2log": phy2log.reshape(-1).tolist()}
        print("[bench] reference %s: %d calls" % (name, len(times)), file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
