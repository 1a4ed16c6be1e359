// Page side of the worker protocol: one run at a time, progress callbacks, cancel by
// terminating the worker (a fresh one is started for the next run).

export class WorkerClient {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    this.pending = null;
    this.onReady = () => {};
    this.onFatal = () => {};
    this.start();
  }

  start() {
    this.worker = new Worker(this.url, { type: 'module' });
    this.readyPromise = new Promise((resolve) => { this.resolveReady = resolve; });
    this.worker.onmessage = (ev) => this.handle(ev.data);
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      this.fail({ stage: 'worker', message: ev.message || 'the worker stopped unexpectedly' });
    };
  }

  handle(msg) {
    if (msg.type === 'ready') {
      this.predictors = msg.predictors || [];
      this.resolveReady(msg.algorithms);
      this.onReady(msg.algorithms);
      return;
    }
    if (msg.type === 'error' && msg.id === null) {
      this.onFatal(msg.message);
      this.fail(msg);
      return;
    }
    const p = this.pending;
    if (!p || msg.id !== p.id) return;
    if (msg.type === 'progress') p.onProgress(msg.done, msg.total, msg.label);
    else if (msg.type === 'result') { this.pending = null; p.resolve(msg); }
    else if (msg.type === 'error') { this.pending = null; p.reject(Object.assign(new Error(msg.message), { stage: msg.stage })); }
  }

  fail(msg) {
    const p = this.pending;
    this.pending = null;
    if (p) p.reject(Object.assign(new Error(msg.message), { stage: msg.stage }));
  }

  ready() {
    return this.readyPromise;
  }

  run(request, onProgress = () => {}) {
    if (this.pending) this.cancel();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject, onProgress };
      this.worker.postMessage({ type: 'run', id, ...request });
    });
  }

  cancel() {
    const p = this.pending;
    this.pending = null;
    this.worker.terminate();
    this.start();
    if (p) p.reject(Object.assign(new Error('cancelled'), { stage: 'cancelled' }));
  }
}
