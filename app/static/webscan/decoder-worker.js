// The browser scanner's QR decoder: zxing-cpp compiled to WebAssembly (the vendored zxing-wasm
// reader), off the page's main thread. It is served by /scan/decoder-worker.js with a CSP that
// allows compiling WebAssembly ('wasm-unsafe-eval'); the page itself does not get that.
//
// Like the laptop scanner it looks at a downscaled frame first (cheap, and enough for a code
// held up at the door) and at the full frame only when that finds nothing (a small or far code).
// Messages in: {type: "init", module, wasm} once, then {type: "frame", bitmap, id}.
// Messages out: {type: "ready"} | {type: "error", message} | {type: "result", id, codes, ms, full}.

const DOWNSCALED_SIDE = 640;
const OPTIONS = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 };

let readBarcodes = null;
let canvas = null;
let context = null;

async function init(moduleUrl, wasmUrl) {
  const zxing = await import(moduleUrl);
  // Our own copy of the .wasm: the package would otherwise fetch it from a CDN.
  await zxing.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
    },
    fireImmediately: true,
  });
  readBarcodes = zxing.readBarcodes;
}

function pixels(bitmap, width, height) {
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    context = canvas.getContext("2d", { willReadFrequently: true });
  }
  context.drawImage(bitmap, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

async function read(image) {
  const results = await readBarcodes(image, OPTIONS);
  return results.filter((r) => r.isValid && r.text).map((r) => r.text);
}

async function decode(bitmap) {
  const { width, height } = bitmap;
  const scale = Math.min(1, DOWNSCALED_SIDE / Math.max(width, height));
  let codes = [];
  let full = false;
  if (scale < 1) {
    codes = await read(pixels(bitmap, Math.round(width * scale), Math.round(height * scale)));
  }
  if (codes.length === 0) {
    full = scale < 1;
    codes = await read(pixels(bitmap, width, height));
  }
  return { codes, full };
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "init") {
      await init(message.module, message.wasm);
      self.postMessage({ type: "ready" });
    } else if (message.type === "frame") {
      const started = performance.now();
      const { codes, full } = await decode(message.bitmap);
      message.bitmap.close();
      self.postMessage({
        type: "result",
        id: message.id,
        codes,
        full,
        ms: performance.now() - started,
      });
    }
  } catch (error) {
    if (message.bitmap) message.bitmap.close();
    self.postMessage({ type: "error", id: message.id, message: String(error) });
  }
};
