// The one error type of the package: every mistake in the input, and running out of memory,
// reach the caller as an EplbError; the module stays usable afterwards.
export class EplbError extends Error {
  /**
   * @param {string} message what is wrong, naming the input
   * @param {string} [code] 'invalid-input' | 'limit-exceeded' | 'out-of-memory' | 'internal'
   */
  constructor(message, code = 'invalid-input') {
    super(message);
    this.name = 'EplbError';
    this.code = code;
  }
}
