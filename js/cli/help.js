// Help texts of the eplb command and its subcommands.
export const MAIN = `eplb: expert-parallelism load balancing for Mixture-of-Experts serving

Usage:
  eplb rebalance LOADS.json... --replicas R --groups G --nodes N --gpus P [options]
  eplb evaluate --placement P.json LOADS.json... [--gpus P --nodes N --groups G] [options]
  eplb plan LOADS.json... --gpus P [--nodes N --groups G] [--redundant 0,32,64] [options]
  eplb algorithms [--json]
  eplb --help | --version (-V)
  eplb COMMAND --help

Commands:
  rebalance   place the experts of every layer on GPUs, for the loads of one file or for a
              history of several; prints the placement
  evaluate    score a placement (ours, or one from vLLM/SGLang) against a load file
  plan        how much balance each number of redundant experts buys, per algorithm and
              policy, on the loads seen and on loads not seen (leave-one-out over the files)
  algorithms  list the algorithms --algorithm accepts

Load files (JSON) may be a [layers][experts] matrix, {"weight": [[...]]}, an SGLang
expert-distribution dump {"logical_count": [[...]]}, or a vLLM-style
{"load_history": [{"logical_expert_load": [[...]]}, ...]} (steps summed, or cut into windows
of K steps with --window K). Several files of one shape, oldest first, are a load history.

Files are read as a stream (up to 256 MiB each; a load_history's steps are summed as they come).
Work that takes more than a second shows its progress on stderr when stderr is a terminal
(--progress: also when it is not). The output is written as it is made; when the reader of stdout
stops (eplb ... | head), eplb stops quietly.

Exit codes: 0 success, 2 a mistake in the input or the flags (one line on stderr), 1 internal error.
`;

export const REBALANCE = `Usage: eplb rebalance LOADS.json... --replicas R --groups G --nodes N --gpus P [options]

Places every layer of the loads (dense all-zero layers included) and prints the placement as
JSON: phy2log [L][R], log2phy [L][E][M], logcnt [L][E] as nested arrays, and num_replicas,
num_groups, num_nodes, num_gpus, algorithm. Topology keys in the load files (num_replicas, ...)
are used where a flag is absent. One file may be - (standard input).

A placement serves the loads that come after it. Several load files of one shape, oldest
first (or a load_history file cut by --window), are a history of windows: the default
algorithm then places for every window at once, so that the placement holds up when the loads
swing as they did between the windows; deepseek places the windows' sum, as DeepSeek's
reference does with a window sum.

Topology:
  --replicas R         physical expert slots per layer (R >= experts, R % gpus == 0)
  --groups G           expert groups (experts % G == 0); default 1
  --nodes N            nodes (gpus % N == 0); default 1
  --gpus P             GPUs
Algorithm:
  --algorithm A        see 'eplb algorithms'; default 'default'
  --policy P           auto (default) | hierarchical | global | hybrid
  --previous PREV.json the placement in service (a file printed by this command, or one with
                       phy2log / physical_to_logical_map); migration-aware algorithms keep slots
  --max-moves K        with --previous: at most K slots per layer change expert
  --tolerance T        with --previous: accept up to this fraction of balancedness loss, in [0, 1]
                       (both are refused without --previous: they would change nothing)
  --failed-gpus LIST   GPUs out of service, e.g. 3,17: their slots are -1 in phy2log, every
                       expert is placed on the live GPUs ("failed_gpus" lists them); policy auto
                       is then global; with --previous (made before or after the failure) the
                       live slots keep their experts unless moving pays (docs/failures.md)
Input:
  --drop-dense         leave out the layers whose loads are all zero (their indices are listed
                       under "kept_layers")
  --window K           cut each load_history file into windows of K steps (a history)
Output:
  --stats              add a "stats" key with the measures of 'eplb evaluate' on the loads (on
                       their sum for a history), the input format and the number of windows
  --format F           json (default); sglang: {"physical_to_logical_map": [[...]]}, the file
                       SGLang's --init-expert-location reads (every layer of the input); or
                       trtllm: YAML for TensorRT-LLM's LLM API options (--config), moe_config:
                       load_balancer: num_slots R, layer_updates_per_iter 0 and
                       initial_global_assignments {LAYER: [expert of each slot]}. LAYER is the
                       model's layer index, MoE layers only: give a file of every layer of the
                       model (an SGLang dump) with --drop-dense, which keys the kept layers by
                       their row in the file; without --drop-dense the rows are keyed 0, 1, ...
                       and none may be all zero (a model whose every layer is MoE).
                       Neither file can say that a GPU is gone: both refuse --failed-gpus
  --output FILE, -o    write to FILE (whole, or not at all) instead of stdout
  --progress           show progress on stderr even when it is not a terminal
  --help               this text

Limits (docs/limits.md): replicas <= 65,536 a layer, layers x replicas <= 4,194,304 slots, and
log2phy (every expert padded to the most replicated one) <= 67,108,864 cells; --format sglang has
no log2phy. A placement of a million slots or more is said to be large before it starts: the
default algorithm may take minutes there, deepseek seconds.
`;

export const EVALUATE = `Usage: eplb evaluate --placement P.json LOADS.json... [options]

Scores a placement against the loads of LOADS.json (several files of one shape: their sum) and
prints the measures as JSON:
balancedness_gpu, balancedness_replica (overall and per layer), upper_bound, gap_to_bound,
home_node_fraction, max_gpu_load, moved_slots (with --previous), layer_* arrays and gpu_loads
[L][G]. Only phy2log is needed: logcnt and log2phy, when present, must agree with it. Slots of
failed GPUs (-1) carry nothing: every measure is over the live GPUs ("failed_gpus" lists them).
One input at most may be - (standard input).

  --placement P.json   the placement: a file printed by 'eplb rebalance', or any JSON object
                       with phy2log or SGLang's physical_to_logical_map (required)
  --gpus P             GPUs; overrides num_gpus of the placement file (which, when it has
                       none, come from the load file's num_gpus, num_nodes and num_groups)
  --nodes N            nodes; overrides num_nodes (default 1 when no file has it)
  --groups G           expert groups; overrides num_groups (default 1 when no file has it)
  --previous PREV.json a previous placement: adds moved_slots (slots whose expert changed)
  --drop-dense         leave out the all-zero layers of LOADS.json (a placement of every layer
                       of the file is then reduced to the kept layers)
  --window K           accepted for symmetry with rebalance (a history is measured on its sum)
  --output FILE, -o    write to FILE (whole, or not at all) instead of stdout
  --progress           show progress on stderr even when it is not a terminal
  --help               this text
`;

export const PLAN = `Usage: eplb plan LOADS.json... --gpus P [--nodes N --groups G] [options]

For each number of redundant experts, algorithm and policy, makes the placement
'eplb rebalance LOADS.json... --replicas E+redundant' makes with those settings and prints one
row: redundant, replicas (= experts + redundant), algorithm, policy,
  balancedness_gpu    that placement measured on the sum of the files (what 'eplb evaluate
                      --placement it LOADS.json...' reports): the loads it was made for;
  next_window_gpu     leave-one-out over the files (at least 3, else null): each file held
                      out in turn, the placement made from the other files (in their order,
                      same settings) and measured on the held-out file; the mean of those
                      balancedness figures, each file counting once. Loads the placement has
                      not seen: what to expect when traffic moves on;
  home_node_fraction  share of the load served on its group's home node (same window);
  moved_slots         slots whose expert differs from --previous (rows of its slot count);
  upper_bound         the best balancedness any placement can reach (same window);
  redundant_bytes_per_gpu  MoE layers x redundant / GPUs x --expert-bytes (with it).
The table ends with, per policy, the smallest redundancy whose next-window figure is within 1%
of the best one of that policy (at least 0.99 x the best; same-window with fewer than 3 files).
A redundancy whose replicas do not divide over the GPUs is skipped with a note on stderr, as is
an algorithm without a policy asked for. Progress goes to stderr when the sweep takes more
than a second.

  --gpus P             GPUs (required unless the load files record num_gpus)
  --nodes N            nodes (gpus % N == 0); default 1
  --groups G           expert groups (experts % G == 0); default 1
  --redundant LIST     comma-separated redundant experts per layer, e.g. 0,32,64; default five
                       values a GPU apart from the smallest that divides (0,32,...,128 for 256
                       experts on 32 GPUs)
  --algorithms LIST    comma-separated, see 'eplb algorithms'; default deepseek,default
  --policies LIST      comma-separated of auto, hierarchical, global, hybrid; default auto,hybrid
                       (auto is hierarchical when groups % nodes == 0, else global)
  --expert-bytes B     bytes of one expert's weights in one layer: adds the memory per GPU that
                       the redundant experts take
  --previous PREV.json the placement in service: passed to rebalance (as --previous) in the rows
                       of its slot count, which then count moved_slots
  --drop-dense         leave out the layers whose loads are all zero
  --window K           cut each load_history file into windows of K steps (each window then
                       counts as a file, also for leave-one-out)
  --json               print {"rows": [...]} instead of the table
  --output FILE, -o    write to FILE (whole, or not at all) instead of stdout
  --progress           show progress on stderr even when it is not a terminal
  --help               this text
`;

export const ALGORITHMS = `Usage: eplb algorithms [--json]

Lists the names --algorithm accepts, one per line (--json: a JSON array).
`;
