// The browser scanner's QR decoder: zxing-cpp compiled to WebAssembly (the vendored zxing-wasm
// reader), off the page's main thread. It is served by /scan/decoder-worker.js with a CSP that
// allows compiling WebAssembly ('wasm-unsafe-eval'); the page itself does not get that.
//
// Like the laptop scanner it looks at a downscaled frame first (cheap, and enough for a code
// held up at the door) and at the full frame only when that finds nothing (a small or far code).
// Messages in: {type: "init", module, wasm} once, then {type: "frame", bitmap, id, all?}.
// Messages out: {type: "ready"} | {type: "error", message} | {type: "result", id, codes, ms, full}.

const DOWNSCALED_SIDE = 640;
const OPTIONS = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 };
// After the two plain reads, a frame still within its budget gets one fallback, each aimed at
// one way a door degrades a code (as scanner/decoding.py's); the next frame takes the next one,
// so a code held up for a moment meets every fallback while no frame takes long.
const BUDGET_MS = 12;
const FALLBACKS = [
  // motion blur: a fixed threshold instead of the local average
  { filter: "none", options: { binarizer: "FixedThreshold" } },
  // low light and sensor noise: blurred, then one global threshold
  { filter: "blur(1.5px)", options: { binarizer: "GlobalHistogram" } },
  // dim or washed-out light and glare: the contrast stretched
  { filter: "contrast(1.8)", options: {} },
  { filter: "brightness(1.6) contrast(1.6)", options: {} },
  // a small or far code: the middle of the picture at twice the size
  { filter: "none", options: {}, zoom: 2 },
];
let next = 0;

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

function pixels(bitmap, width, height, filter = "none", zoom = 1) {
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    context = canvas.getContext("2d", { willReadFrequently: true });
  }
  context.filter = filter;
  if (zoom > 1) {
    const w = bitmap.width / zoom;
    const h = bitmap.height / zoom;
    context.drawImage(bitmap, (bitmap.width - w) / 2, (bitmap.height - h) / 2, w, h, 0, 0, width, height);
  } else {
    context.drawImage(bitmap, 0, 0, width, height);
  }
  context.filter = "none";
  return context.getImageData(0, 0, width, height);
}

async function read(image, options = {}) {
  const results = await readBarcodes(image, { ...OPTIONS, ...options });
  return results.filter((r) => r.isValid && r.text).map((r) => r.text);
}

// `all`: every fallback (a still image); otherwise as many as the frame's budget allows.
async function decode(bitmap, all) {
  const started = performance.now();
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
  // On the downscaled size: a fallback costs about what the first read did, so a camera frame
  // (one fallback at most, and only while within its budget) stays well inside 33 ms.
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  let tried = 0;
  while (
    codes.length === 0 &&
    tried < (all ? FALLBACKS.length : 1) &&
    (all || performance.now() - started < BUDGET_MS)
  ) {
    const fallback = FALLBACKS[next];
    next = (next + 1) % FALLBACKS.length;
    tried += 1;
    codes = await read(pixels(bitmap, w, h, fallback.filter, fallback.zoom || 1), fallback.options);
  }
  return { codes, full, fallbacks: tried };
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "init") {
      await init(message.module, message.wasm);
      self.postMessage({ type: "ready" });
    } else if (message.type === "frame") {
      const started = performance.now();
      const { codes, full, fallbacks } = await decode(message.bitmap, Boolean(message.all));
      message.bitmap.close();
      self.postMessage({
        type: "result",
        id: message.id,
        codes,
        full,
        fallbacks,
        ms: performance.now() - started,
      });
    }
  } catch (error) {
    if (message.bitmap) message.bitmap.close();
    self.postMessage({ type: "error", id: message.id, message: String(error) });
  }
};
