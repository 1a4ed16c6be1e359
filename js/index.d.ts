// Type declarations of eplb-wasm (hand-written: Embind in Emscripten 3.1.6 emits none).

/** Every mistake in the input (and running out of WASM memory) is thrown as an EplbError. */
export declare class EplbError extends Error {
  constructor(message: string, code?: EplbErrorCode);
  readonly name: 'EplbError';
  readonly code: EplbErrorCode;
}
export type EplbErrorCode = 'invalid-input' | 'limit-exceeded' | 'out-of-memory' | 'internal';

/** Loads [layers][experts]: nested arrays, or a flat row-major typed array with its shape. */
export type Weights = number[][] | WeightMatrix;
export interface WeightMatrix {
  data: Float64Array | Float32Array;
  layers: number;
  experts: number;
}

export type Policy = 'auto' | 'hierarchical' | 'global' | 'hybrid';

export interface Topology {
  /** Physical expert slots per layer (R >= experts, R % gpus == 0). */
  replicas: number;
  /** Expert groups (experts % groups == 0); default 1. */
  groups?: number;
  /** Nodes (gpus % nodes == 0); default 1. */
  nodes?: number;
  gpus: number;
}

export interface RebalanceOptions extends Topology {
  /** One of algorithms(); default 'default'. */
  algorithm?: string;
  policy?: Policy;
  /** The placement in service; migration-aware algorithms keep its slots where they can. */
  previous?: PlacementLike;
  /** With previous: at most this many slots per layer change expert. */
  maxMoves?: number;
  /** With previous: the balancedness that may be given up to keep slots, in [0, 1]. */
  tolerance?: number;
  /**
   * Called after each layer is placed (large placements take seconds). An error it throws stops
   * the call and is thrown by rebalance.
   */
  onProgress?: (layersDone: number, layers: number) => void;
  /**
   * GPUs out of service (indices in [0, gpus), each once): their slots are -1 in phy2log and every
   * expert is placed on the live GPUs. `auto` then means `global`; `hierarchical` needs every node's
   * live GPUs to hold its groups (docs/failures.md). With `previous` (made before or after a
   * failure), the live slots keep their experts unless moving pays.
   */
  failedGpus?: number[];
}

/** SPEC section 2, flattened row-major. Slot p is on GPU floor(p / (replicas / gpus)). */
export interface Placement {
  layers: number;
  experts: number;
  replicas: number;
  gpus: number;
  nodes: number;
  groups: number;
  /** max over layers and experts of logcnt: the last dimension of log2phy. */
  maxReplicas: number;
  algorithm: string;
  /** The failed GPUs, ascending (their slots are -1 in phy2log); empty when every GPU is live. */
  failedGpus: number[];
  /**
   * [layers * replicas]: the expert held by each slot, -1 on failed GPUs. A rebalance result
   * keeps it packed in the JS heap until first read, then makes (and keeps) an Int32Array of its own.
   */
  phy2log: Int32Array;
  /**
   * [layers * experts * maxReplicas]: each expert's slots, ascending, padded with -1. Derived
   * from phy2log when first read (most callers never need it), then kept.
   */
  log2phy: Int32Array;
  /** [layers * experts]: replicas of each expert (on live GPUs). */
  logcnt: Int32Array;
}

/**
 * A placement as evaluate and previous accept it: ours, or one from another tool with only
 * phy2log (Int32Array with layers and replicas, or nested arrays). logcnt and log2phy, when
 * given, must agree with phy2log.
 */
export interface PlacementLike {
  phy2log: Int32Array | number[][];
  layers?: number;
  replicas?: number;
  logcnt?: Int32Array | number[][];
  log2phy?: Int32Array | number[][][];
  maxReplicas?: number;
  gpus?: number;
  nodes?: number;
  groups?: number;
}

/** The SPEC section 2 JSON object (nested arrays), as written by `eplb rebalance`. */
export interface PlacementJSON {
  phy2log: number[][];
  log2phy: number[][][];
  logcnt: number[][];
  num_replicas: number;
  num_groups: number;
  num_nodes: number;
  num_gpus: number;
  algorithm: string;
  /** Present when GPUs failed: their indices, ascending (read off phy2log's -1 slots too). */
  failed_gpus?: number[];
}

export interface EvaluateOptions {
  /** Override the topology recorded in the placement. */
  gpus?: number;
  nodes?: number;
  groups?: number;
  /** A previous placement of the same shape: adds movedSlots. */
  previous?: PlacementLike;
}

/**
 * The measures of SPEC section 4; per-layer vectors have one entry per layer. With failed GPUs
 * (-1 slots) every measure is over the live GPUs and slots.
 */
export interface Evaluation {
  balancednessGpu: number;
  balancednessReplica: number;
  upperBound: number;
  gapToBound: number;
  homeNodeFraction: number;
  /** Sum over layers of the busiest GPU's load. */
  maxGpuLoad: number;
  /** Live slots whose expert differs from options.previous; null without it. */
  movedSlots: number | null;
  layerMovedSlots: Int32Array | null;
  layerBalancednessGpu: Float64Array;
  layerBalancednessReplica: Float64Array;
  layerUpperBound: Float64Array;
  layerMaxGpuLoad: Float64Array;
  /** [layers * gpus]; 0 for a failed GPU. */
  gpuLoads: Float64Array;
  /** GPUs whose slots are -1 in the placement, ascending. */
  failedGpus: number[];
}

/** An Evaluation as JSON with the core's snake_case keys, as `eplb evaluate` prints it. */
export interface EvaluationJSON {
  balancedness_gpu: number;
  balancedness_replica: number;
  upper_bound: number;
  gap_to_bound: number;
  home_node_fraction: number;
  max_gpu_load: number;
  moved_slots: number | null;
  layer_balancedness_gpu: number[];
  layer_balancedness_replica: number[];
  layer_upper_bound: number[];
  layer_max_gpu_load: number[];
  /** With options.previous. */
  layer_moved_slots?: number[];
  /** [layers][gpus] */
  gpu_loads: number[][];
  /** With failed GPUs. */
  failed_gpus?: number[];
}

export interface ReadLoadsOptions {
  /** Leave out layers whose loads are all zero (the dense layers of an SGLang dump). */
  dropDense?: boolean;
  /** load_history only: sum steps [begin, end) instead of all. */
  window?: { begin?: number; end?: number } | [number, number?];
  /** load_history only: also cut the steps into windows of this many steps (LoadFile.windows). */
  windowSteps?: number;
}

export type LoadFormat = 'matrix' | 'weight' | 'logical_count' | 'load_history';

export interface LoadMatrix extends WeightMatrix {
  data: Float64Array;
}

export interface LoadFile extends LoadMatrix {
  format: LoadFormat;
  /** Indices in the file of the layers kept. */
  keptLayers: Int32Array;
  fileLayers: number;
  historySteps: number;
  /** With ReadLoadsOptions.windowSteps: the windows, oldest first (the file's matrix is their sum). */
  windows?: LoadMatrix[];
  /** Topology keys found in the file (num_replicas, ...), when present. */
  replicas?: number;
  groups?: number;
  nodes?: number;
  gpus?: number;
}

export interface PredictOptions {
  /** One of predictors(); default 'sum' (the reference's window sum). */
  predictor?: string;
  alpha?: number;
  spread?: number;
}

export interface PlacementFromJSONOptions {
  /** Topology for keys the file lacks (default 1 each). */
  gpus?: number;
  nodes?: number;
  groups?: number;
  /** Number of experts, when the file has no logcnt (default: the largest expert in phy2log + 1). */
  experts?: number;
}

/**
 * The loads a placement is made from: one matrix, or a history of windows, oldest first, all of
 * one shape. With a history, the balanced algorithms place for every window at once (the next
 * window's loads are unknown; the past windows show how they swing); deepseek places their sum.
 */
export type LoadHistory = Weights | Weights[];

/**
 * A file's bytes, read a chunk at a time: read() fills `into` (a view of WASM memory, valid only
 * during the call) with the next bytes and returns how many, 0 at the end. In Node:
 * `{ read: (into) => fs.readSync(fd, into) }`. An error it throws is thrown by the caller.
 */
export interface ByteSource {
  read(into: Uint8Array): number;
}

/** The text of a file: a string, its UTF-8 bytes, or a ByteSource (a file is read as a stream). */
export type FileText = string | Uint8Array | ArrayBuffer | ByteSource;
export interface TimelineStrategy {
  algorithm: string;
  /** Given its own placement in service from the second window on (rebalance's `previous`). */
  incremental?: boolean;
}

export interface TimelineOptions {
  replicas: number;
  groups?: number;
  nodes?: number;
  gpus: number;
  policy?: Policy;
  failedGpus?: number[];
  strategies: TimelineStrategy[];
  /** Windows each placement is made from: the last `history` up to the current one (default 1). */
  history?: number;
  /** 'sum' (default): the windows themselves are the history; another predictor's estimate is one matrix. */
  predictor?: string;
  /** After each (window, strategy); `at` is null once at the end. */
  onProgress?: (done: number, total: number, at: { window: number; strategy: number } | null) => void;
}

export interface TimelineResult {
  /** In the order of options.strategies; one entry per placement (windows - 1) in each array. */
  strategies: {
    algorithm: string;
    incremental: boolean;
    /** GPU balancedness of the placement made at window i, on window i + 1. */
    next: number[];
    /** Slots moved since the strategy's previous placement (null for the first). */
    moved: (number | null)[];
    /** Time of each rebalance call, ms. */
    ms: number[];
  }[];
  /** layers x replicas. */
  slots: number;
}

export interface PlanOptions {
  gpus: number;
  /** Default 1. */
  nodes?: number;
  /** Default 1. */
  groups?: number;
  /**
   * Redundant experts per layer to try (replicas = experts + redundant); values whose replicas
   * do not divide over the GPUs are skipped with a note. Default: five values a GPU apart from
   * the smallest that divides.
   */
  redundant?: number[];
  /** Default ['deepseek', 'default']. */
  algorithms?: string[];
  /** Default ['auto', 'hybrid']; an algorithm without one of them is left out with a note. */
  policies?: Policy[];
  /** The placement in service: passed to rebalance in the rows of its slot count (movedSlots there). */
  previous?: PlacementLike;
  /** Bytes of one expert's weights in one layer: adds redundantBytesPerGpu. */
  expertBytes?: number;
  /** Called before each rebalance of the sweep and once at the end (done === total). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** One (redundancy, algorithm, policy) of a plan. */
export interface PlanRow {
  redundant: number;
  replicas: number;
  algorithm: string;
  policy: Policy;
  /** The placement rebalance makes from the whole history, measured on the history's sum. */
  balancednessGpu: number;
  /**
   * Leave-one-out with at least 3 windows: each window held out, the placement made from the
   * others (in order, same settings) and measured on it; the mean over the windows. Else null.
   */
  nextWindowGpu: number | null;
  homeNodeFraction: number;
  /** Against options.previous, in the rows of its slot count; else null. */
  movedSlots: number | null;
  upperBound: number;
  /** layers x redundant / gpus x expertBytes; null without expertBytes. */
  redundantBytesPerGpu: number | null;
}

/** Per policy: the smallest redundancy whose figure is at least 0.99 x the policy's best. */
export interface PlanChoice {
  policy: Policy;
  /** nextWindowGpu, or balancednessGpu when the rows have no next-window figure. */
  measure: 'nextWindowGpu' | 'balancednessGpu';
  redundant: number;
  replicas: number;
  algorithm: string;
  value: number;
  best: { redundant: number; algorithm: string; value: number };
}

export interface PlanResult {
  rows: PlanRow[];
  choices: PlanChoice[];
  /** Sentences on what was skipped or left out. */
  notes: string[];
  windows: number;
  layers: number;
  experts: number;
  gpus: number;
  nodes: number;
  groups: number;
  /** 'leave-one-out' when nextWindowGpu was measured, else null. */
  nextWindow: 'leave-one-out' | null;
}

/** The core's size limits (cpp/include/eplb/limits.hpp, docs/limits.md). */
export interface Limits {
  maxLayers: number;
  maxExperts: number;
  maxReplicas: number;
  maxGpus: number;
  /** layers x replicas of phy2log, and layers x experts x most replicas of log2phy. */
  maxPlacementCells: number;
  /** layers x replicas of a placement rebalance makes. */
  maxSlots: number;
  /** layers x experts of one matrix read from a file. */
  maxFileMatrixCells: number;
  maxWindows: number;
  /** windows x layers x experts of the loads of one call. */
  maxHistoryCells: number;
  maxFileBytes: number;
  maxJsonDepth: number;
  maxLoad: number;
}

export interface Eplb {
  rebalance(loads: LoadHistory, options: RebalanceOptions): Placement;
  /** Measures on the loads (on their sum for a history). */
  evaluate(placement: PlacementLike, loads: LoadHistory, options?: EvaluateOptions): Evaluation;
  readLoads(text: FileText, options?: ReadLoadsOptions): LoadFile;
  /** The capacity planner: one row per (redundancy, algorithm, policy); see PlanRow. */
  plan(loads: LoadHistory, options: PlanOptions): PlanResult;
  /** Each strategy placed window after window and measured on the window after each placement (SPEC 4). */
  timeline(windows: Weights[], options: TimelineOptions): TimelineResult;
  predictLoads(steps: Weights[], options?: PredictOptions): LoadMatrix;
  placementToJSON(placement: Placement): PlacementJSON;
  /** The measures as JSON with snake_case keys (what `eplb evaluate` prints, without the topology keys). */
  evaluationToJSON(evaluation: Evaluation): EvaluationJSON;
  /** json: the text of a placement file (see FileText), or a placement object with nested arrays (as PlacementJSON). */
  placementFromJSON(json: FileText | PlacementJSON | object, options?: PlacementFromJSONOptions): Placement;
  algorithms(): string[];
  limits(): Limits;
  /** Each algorithm with a one-line summary, in the order of algorithms(). */
  algorithmInfo(): { name: string; summary: string }[];
  /** The policy names rebalance accepts; with an algorithm, the ones it implements. */
  policies(algorithm?: string): Policy[];
  predictors(): string[];
  /** malloc'd bytes in the WASM heap and the size of WASM memory (for leak checks). */
  heapStats(): { inUse: number; heapBytes: number };
}

export interface LoadOptions {
  /** The bytes of eplb.wasm, when the caller fetched or bundled them (checked before use). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /**
   * Where to find eplb.wasm: gets 'eplb.wasm' and the default folder, returns a URL (browsers)
   * or a path or file: URL (Node). Without it: next to the package's own files.
   */
  locateFile?: (path: string, prefix: string) => string;
}

/**
 * Loads and instantiates the WebAssembly module (in Node and in browsers). Rejects with an
 * EplbError when eplb.wasm cannot be read or fetched, or is not this package's module.
 * Options objects of every function take only the keys declared here: another key is an EplbError.
 */
export declare function loadEplb(options?: LoadOptions): Promise<Eplb>;
