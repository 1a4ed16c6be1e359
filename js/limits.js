// The core's limits (cpp/include/eplb/limits.hpp), as the loaded module reports them: every JS
// check reads them here rather than keeping copies. Filled when a module is loaded (createApi);
// until then, the checks that read them (of placements made elsewhere) wait for the core's own.
export const limits = {};

export function adoptLimits(fromCore) {
  if (!Object.keys(limits).length) Object.assign(limits, fromCore); // every module has the same
}

/** A limit by name, or Infinity before any module is loaded. */
export const limit = (name) => limits[name] ?? Infinity;
