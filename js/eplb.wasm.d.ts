// `eplb-wasm/eplb.wasm` is the WebAssembly module itself. Bundlers give its URL for such an
// import (Vite: `import url from 'eplb-wasm/eplb.wasm?url'`; webpack 5: an asset/resource rule),
// to pass to loadEplb({ locateFile: () => url }).
declare const url: string;
export default url;
