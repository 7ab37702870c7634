// The browser scanner page: camera (or hand scanner, or typing) -> journal -> server.
// See app/webscan/__init__.py for how the parts fit together.

import * as journal from "./journal.js";
import * as offline from "./offline.js";

const body = document.body;
const $ = (id) => document.getElementById(id);
const MESSAGES = JSON.parse($("messages").textContent);
const REPEAT_MS = Number(body.dataset.repeatSeconds) * 1000;
const DEBOUNCE_MS = 3000; // the same code held in view stays one scan (the laptop scanner's 3 s)
const BURST_MIN = 8; // a hand scanner: 8 or more characters, then Enter,
const BURST_MS = 40; // at under 40 ms a key on average (no person types that fast)
const SEND_TIMEOUT_MS = 8000;
const ROSTER_PAGE = 1000; // the most the server gives in one page of a list

function say(key, values = {}) {
  return (MESSAGES[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

const state = {
  store: null,
  token: null,
  deviceName: null,
  tokenRefused: false,
  sessionId: null,
  direction: "auto",
  muted: false,
  key: null, // the server's public key (CryptoKey)
  record: null, // the chosen session's cached roster
  lastCode: null,
  lastCodeAt: 0,
  online: navigator.onLine,
};

// --- Sounds: the laptop scanner's three (scanner/sound.py), through the Web Audio API --------

let audio = null;

function tone(ctx, start, duration, from, to, type = "sine", volume = 0.25) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.setValueAtTime(from, start);
  if (to !== from) osc.frequency.exponentialRampToValueAtTime(to, start + duration);
  gain.gain.setValueAtTime(volume, start);
  gain.gain.exponentialRampToValueAtTime(0.001, start + duration);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + duration + 0.02);
}

function play(kind) {
  if (state.muted) return;
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const t = audio.currentTime + 0.01;
    if (kind === "ok") tone(audio, t, 0.18, 660, 1320); // a rising chirp: registered
    else if (kind === "repeat") tone(audio, t, 0.15, 880, 880); // one tone: a repeat
    else {
      tone(audio, t, 0.12, 180, 180, "square", 0.2); // a low double buzz: refused
      tone(audio, t + 0.18, 0.12, 180, 180, "square", 0.2);
    }
    // What was played, for the tests (a page cannot hear itself).
    body.dataset.sound = kind;
    body.dataset.sounds = String(Number(body.dataset.sounds || 0) + 1);
  } catch {
    /* no audio device: the banner still says it */
  }
  if (navigator.vibrate) navigator.vibrate(kind === "ok" ? 80 : kind === "repeat" ? [60] : [120, 80, 120]);
}

// --- The result banner -----------------------------------------------------------------------

function clock(iso) {
  return new Date(iso).toLocaleTimeString("nl-BE", { hour: "2-digit", minute: "2-digit" });
}

function show(kind, name, detail, waiting = false) {
  const result = $("result");
  result.dataset.kind = kind;
  $("result-name").textContent = name;
  $("result-detail").textContent = detail;
  $("result-waiting").hidden = !waiting;
  if (kind !== "idle") play(kind);
}

function showAnswer(answer) {
  const detail = `${say(answer.direction)} · ${clock(answer.at)}`;
  if (answer.repeat) show("repeat", answer.participant.name, `${say("repeat")} · ${detail}`);
  else show("ok", answer.participant.name, detail);
}

function showRefusal(code, message) {
  show("refused", message || say(code) || code, "");
}

// --- Network state and the waiting count -----------------------------------------------------

function setOnline(online) {
  state.online = online;
  const pill = $("network");
  pill.dataset.state = online ? "online" : "offline";
  pill.textContent = say(online ? "online" : "offline");
}

async function updateWaiting() {
  const n = await state.store.pendingCount();
  const pill = $("waiting");
  pill.hidden = n === 0;
  pill.textContent = say("waiting", { n });
  pill.dataset.count = String(n);
  body.dataset.waiting = String(n);
}

// --- Talking to the server ---------------------------------------------------------------------

class Offline extends Error {}

async function api(method, path, payload) {
  const headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: abort.signal,
      cache: "no-store",
      credentials: "omit", // the token is the credential; the login cookie is not needed here
    });
  } catch {
    setOnline(false);
    throw new Offline();
  } finally {
    clearTimeout(timer);
  }
  setOnline(true);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  // A server that is there but not answering properly: try again later, as when offline.
  if (response.status >= 500 || response.status === 408 || response.status === 429 || data === null) {
    throw new Offline();
  }
  return { status: response.status, data };
}

function tokenRefused() {
  state.tokenRefused = true;
  body.dataset.tokenRefused = "true";
  showPairing(true);
}

// Sends the waiting scans, oldest first, one at a time (a Web Lock keeps two tabs from sending the
// same scan at once; the nonce would make that harmless anyway). Only a refusal of the scan itself
// is final; a refusal of the token (401, 403) leaves every scan waiting until the page is paired
// again.
let flushing = null;
let again = false;

export function flush() {
  if (flushing) {
    // A scan journalled while a round is under way is sent by one more round after it.
    again = true;
    return flushing;
  }
  flushing = (async () => {
    try {
      do {
        again = false;
        if (navigator.locks) await navigator.locks.request("aanwezig-scan-send", sendWaiting);
        else await sendWaiting();
      } while (again);
    } finally {
      flushing = null;
      await updateWaiting();
    }
  })();
  return flushing;
}

async function sendWaiting() {
  if (!state.token || state.tokenRefused) return;
  for (;;) {
    const entry = await state.store.firstPending();
    if (!entry) return;
    let answer;
    try {
      answer = await api("POST", "/scans", {
        session_id: entry.session_id,
        code: entry.code,
        nonce: entry.nonce,
        scanned_at: entry.scanned_at,
        direction: entry.direction,
      });
    } catch (error) {
      if (error instanceof Offline) return;
      throw error;
    }
    if (answer.status === 401 || answer.status === 403) {
      tokenRefused();
      return;
    }
    const final = answer.status < 300 ? "sent" : "refused";
    await state.store.settle(entry.seq, final, answer.data);
    if (final === "sent") await remember(entry.session_id, answer.data);
    await updateWaiting();
  }
}

// Keep the cached roster's state in step with what the server registered.
async function remember(sessionId, answer) {
  if (answer.repeat) return;
  const record = sessionId === state.sessionId ? state.record : await state.store.roster(sessionId);
  if (!record) return;
  record.state[answer.participant.id] = [answer.direction, answer.at];
  await state.store.saveRoster(record);
}

// --- A scan --------------------------------------------------------------------------------

const PAIRING_KEY = "aanwezig_pairing";

function pairingCode(text) {
  text = text.trim();
  if (!text.startsWith("{") || text.length > 1000) return null;
  try {
    const data = JSON.parse(text);
    if (data && data[PAIRING_KEY] === 1 && typeof data.url === "string" && typeof data.token === "string"
        && data.token.startsWith("azp_")) return data;
  } catch {
    return null;
  }
  return null;
}

async function handleCode(text, source) {
  text = text.trim();
  if (!text) return;
  if (source === "camera") {
    const now = Date.now();
    if (text === state.lastCode && now - state.lastCodeAt < DEBOUNCE_MS) {
      state.lastCodeAt = now;
      return;
    }
    state.lastCode = text;
    state.lastCodeAt = now;
  }
  const pairing = pairingCode(text);
  if (pairing) return pairWithCode(pairing);
  if (!state.token) return showRefusal("pair_first", say("pair_first"));
  if (!state.sessionId) return showRefusal("choose_session", say("choose_session"));
  const at = new Date();
  const entry = {
    nonce: crypto.randomUUID(),
    session_id: state.sessionId,
    code: text,
    scanned_at: at.toISOString(),
    direction: state.direction,
    source,
  };
  // The local verdict first: it decides nothing, but is what the trainer sees while the scan
  // waits, and a code that is certainly refused (forged, revoked) is still sent: the server
  // keeps the final word and the refusal is counted there.
  const verdict = await localVerdict(text, at);
  const seq = await state.store.add(entry);
  await updateWaiting();
  await flush();
  const stored = await state.store.entry(seq);
  if (stored.state === "sent") return showAnswer(stored.answer);
  if (stored.state === "refused") return showRefusal(stored.answer.error, stored.answer.message);
  // Not sent (offline, or the token refused): the page's own verdict, marked as waiting.
  if (!verdict) return show("repeat", say("sent_later"), say("unchecked"), true);
  if (!verdict.ok) return show("refused", say(verdict.reason), verdict.name || "", true);
  const detail = `${say(verdict.direction)} · ${clock(at.toISOString())}`;
  if (verdict.repeat) show("repeat", verdict.name, `${say("repeat")} · ${detail}`, true);
  else {
    show("ok", verdict.name, detail, true);
    state.record.state[verdict.participant_id] = [verdict.direction, at.toISOString()];
    await state.store.saveRoster(state.record);
  }
}

async function localVerdict(text, at) {
  if (!state.key || !state.record) return null;
  return offline.check(state.key, state.record, text, at, state.direction, REPEAT_MS);
}

// --- Pairing --------------------------------------------------------------------------------

async function useToken(token, deviceName) {
  state.token = token;
  state.deviceName = deviceName;
  state.tokenRefused = false;
  delete body.dataset.tokenRefused;
  await state.store.set("token", token);
  await state.store.set("device_name", deviceName);
  $("pair").hidden = true;
  $("repair-reason").hidden = true;
  show("idle", say("paired", { name: deviceName }), "");
  await afterPairing();
}

function deviceGuess() {
  const ua = navigator.userAgent;
  const kind = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iPhone" : /Windows/.test(ua)
    ? "Windows" : /Mac OS/.test(ua) ? "Mac" : /Linux/.test(ua) ? "Linux" : "";
  return `${say("default_device")}${kind ? ` (${kind})` : ""}`;
}

async function pairWithCode(code) {
  let url;
  try {
    url = new URL(code.url);
  } catch {
    url = null;
  }
  if (!url || url.origin !== location.origin) {
    return showRefusal("pair", say("pair_other_server", { url: code.url }));
  }
  let answer;
  try {
    const saved = state.token;
    state.token = null; // the pairing token in the body is the only credential
    try {
      answer = await api("POST", "/devices/pair", { token: code.token, device_name: deviceGuess() });
    } finally {
      state.token = saved;
    }
  } catch {
    return showRefusal("pair", say("pair_offline"));
  }
  if (answer.status !== 201) {
    $("pair-message").textContent = say("pair_failed", { reason: answer.data.message });
    return showRefusal("pair", say("pair_failed", { reason: answer.data.message }));
  }
  await useToken(answer.data.token, answer.data.device_name);
}

async function pairSignedIn(csrfToken) {
  const name = $("device-name").value.trim() || deviceGuess();
  let response;
  try {
    response = await fetch("/scan/device", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
      body: JSON.stringify({ device_name: name }),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    $("pair-message").textContent = say("pair_offline");
    return;
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status !== 201 || !data) {
    $("pair-message").textContent = say("pair_failed", { reason: (data && data.message) || response.status });
    return;
  }
  await useToken(data.token, data.device_name);
}

async function showPairing(refused) {
  $("pair").hidden = false;
  $("repair-reason").hidden = !refused;
  $("choose").hidden = !state.token || refused ? true : $("choose").hidden;
  let account = { signed_in: false };
  try {
    const response = await fetch("/scan/account", { cache: "no-store", credentials: "same-origin" });
    account = await response.json();
  } catch {
    account = { signed_in: false, offline: true };
  }
  const signedIn = account.signed_in && account.may_scan;
  $("pair-signed-in").hidden = !signedIn;
  $("pair-signed-out").hidden = account.signed_in || account.offline;
  if (account.signed_in && !account.may_scan) $("pair-message").textContent = say("frontdesk");
  if (signedIn) {
    $("pair-who").textContent = say("signed_in_as", { name: account.name });
    if (!$("device-name").value) $("device-name").value = deviceGuess();
    $("pair-confirm").onclick = () => pairSignedIn(account.csrf_token);
  }
}

// --- Sessions -------------------------------------------------------------------------------

function localDay(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function sessionLabel(s) {
  return `${s.start.slice(0, 5)}–${s.end.slice(0, 5)} ${s.training_name}${s.location ? ` · ${s.location}` : ""}`;
}

async function loadSessions(day) {
  const select = $("session");
  let sessions = null;
  try {
    const answer = await api("GET", `/sessions?date=${day}`);
    if (answer.status === 401 || answer.status === 403) return tokenRefused();
    if (answer.status === 200) sessions = answer.data.items;
  } catch {
    sessions = null;
  }
  if (sessions === null) sessions = (await state.store.get(`sessions:${day}`)) || [];
  else await state.store.set(`sessions:${day}`, sessions);
  const wanted = Number(new URLSearchParams(location.search).get("session")) || state.sessionId;
  if (wanted && !sessions.some((s) => s.id === wanted)) {
    const cached = await state.store.roster(wanted);
    let session = cached ? cached.session : null;
    try {
      const answer = await api("GET", `/sessions/${wanted}`);
      if (answer.status === 200) session = answer.data;
    } catch {
      /* offline: the cached one */
    }
    if (session) sessions = [session, ...sessions];
  }
  select.replaceChildren();
  if (sessions.length === 0) {
    const option = new Option(say("no_sessions"), "");
    select.append(option);
  }
  for (const s of sessions) {
    const label = s.date === localDay() ? sessionLabel(s) : `${s.date} ${sessionLabel(s)}`;
    select.append(new Option(label, String(s.id)));
  }
  const chosen = sessions.find((s) => s.id === wanted) || sessions[0];
  if (chosen) select.value = String(chosen.id);
  await chooseSession(chosen ? chosen.id : null);
}

// The server pages the roster; offline checks need all of it, so every page is read.
async function wholeRoster(id) {
  let whole = null;
  for (let page = 1; ; page += 1) {
    const answer = await api("GET", `/sessions/${id}/roster?page=${page}&per_page=${ROSTER_PAGE}`);
    if (answer.status !== 200) return answer;
    const people = answer.data.participants;
    whole = whole ? { ...whole, participants: whole.participants.concat(people) } : answer.data;
    const total = answer.data.total ?? whole.participants.length;
    if (!people.length || whole.participants.length >= total) return { ...answer, data: whole };
  }
}

async function chooseSession(id) {
  state.sessionId = id;
  await state.store.set("session_id", id);
  body.dataset.session = id ? String(id) : "";
  if (!id) return;
  state.record = await state.store.roster(id);
  try {
    const answer = await wholeRoster(id);
    if (answer.status === 200) {
      state.record = offline.rosterRecord(id, answer.data);
      await state.store.saveRoster(state.record);
    } else if (answer.status === 401 || answer.status === 403) tokenRefused();
  } catch {
    /* offline: the cached roster, if any */
  }
  body.dataset.roster = state.record ? "ready" : "";
}

async function loadKey() {
  let pem = await state.store.get("public_key");
  try {
    const answer = await api("GET", "/qr/public-key");
    if (answer.status === 200) {
      pem = answer.data.public_key_pem;
      await state.store.set("public_key", pem);
    }
  } catch {
    /* offline: the cached key */
  }
  if (pem) state.key = await offline.importPublicKey(pem);
}

async function afterPairing() {
  $("choose").hidden = false;
  await loadKey();
  await loadSessions($("session-day").value || localDay());
  await flush();
  body.dataset.ready = "true";
}

// --- Camera and decoder ---------------------------------------------------------------------

const camera = { stream: null, devices: [], index: 0, worker: null, busy: false, frame: 0 };

function startDecoder() {
  const worker = new Worker(body.dataset.worker, { type: "module" });
  camera.worker = worker;
  worker.onmessage = (event) => {
    const message = event.data;
    if (message.type === "ready") {
      body.dataset.decoder = "ready";
      camera.busy = false;
    } else if (message.type === "result") {
      camera.busy = false;
      body.dataset.frames = String(Number(body.dataset.frames || 0) + 1);
      for (const code of message.codes) handleCode(code, "camera");
    } else if (message.type === "error") {
      camera.busy = false;
      body.dataset.decoderError = message.message;
    }
  };
  camera.busy = true; // until ready
  worker.postMessage({ type: "init", module: body.dataset.decoderModule, wasm: body.dataset.decoderWasm });
}

async function grabFrames() {
  const video = $("camera");
  if (!camera.busy && video.readyState >= 2 && video.videoWidth > 0) {
    camera.busy = true;
    try {
      const bitmap = await createImageBitmap(video);
      camera.worker.postMessage({ type: "frame", bitmap, id: ++camera.frame }, [bitmap]);
    } catch {
      camera.busy = false;
    }
  }
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(grabFrames);
  else setTimeout(grabFrames, 40);
}

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return cameraMessage(say("no_camera"));
  }
  const device = camera.devices[camera.index];
  const video = device
    ? { deviceId: { exact: device.deviceId }, width: { ideal: 1280 }, height: { ideal: 720 } }
    : { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } };
  try {
    if (camera.stream) camera.stream.getTracks().forEach((t) => t.stop());
    camera.stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
  } catch (error) {
    return cameraMessage(say(error && error.name === "NotAllowedError" ? "camera_denied" : "no_camera"));
  }
  cameraMessage(null);
  const element = $("camera");
  element.srcObject = camera.stream;
  await element.play().catch(() => {});
  body.dataset.camera = "on";
  const devices = await navigator.mediaDevices.enumerateDevices();
  camera.devices = devices.filter((d) => d.kind === "videoinput");
  $("switch-camera").hidden = camera.devices.length < 2;
  const track = camera.stream.getVideoTracks()[0];
  const capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
  $("torch").hidden = !capabilities.torch;
  $("torch").setAttribute("aria-pressed", "false");
  if (element.requestVideoFrameCallback) element.requestVideoFrameCallback(grabFrames);
  else grabFrames();
}

function cameraMessage(text) {
  $("camera-message").hidden = !text;
  $("camera-message").textContent = text || "";
}

// --- Keyboard: a hand scanner's burst, or a code typed by hand ---------------------------------

const burst = { text: "", times: [] };

function onKey(event) {
  const target = event.target;
  if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) return;
  const now = event.timeStamp;
  if (event.key === "Enter") {
    const { text, times } = burst;
    burst.text = "";
    burst.times = [];
    if (text.length >= BURST_MIN) {
      const average = (times[times.length - 1] - times[0]) / (times.length - 1);
      if (average < BURST_MS) {
        event.preventDefault(); // not a click on the focused button
        handleCode(text, "keyboard");
      }
    }
    return;
  }
  if (event.key.length !== 1) return;
  if (burst.times.length && now - burst.times[burst.times.length - 1] > 300) {
    burst.text = "";
    burst.times = [];
  }
  burst.text += event.key;
  burst.times.push(now);
}

// --- Start ----------------------------------------------------------------------------------

function setDirection(direction) {
  state.direction = direction;
  body.dataset.direction = direction;
  for (const button of document.querySelectorAll("[data-direction]")) {
    button.setAttribute("aria-pressed", String(button.dataset.direction === direction));
  }
  state.store.set("direction", direction);
}

function setMuted(muted) {
  state.muted = muted;
  $("mute").setAttribute("aria-pressed", String(muted));
  $("mute").textContent = say(muted ? "sound_off" : "sound_on");
  state.store.set("muted", muted);
}

async function main() {
  state.store = await journal.open();
  await state.store.prune(new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString());
  setOnline(navigator.onLine);
  state.token = await state.store.get("token");
  state.deviceName = await state.store.get("device_name");
  state.sessionId = await state.store.get("session_id");
  setDirection(await state.store.get("direction", "auto"));
  setMuted(await state.store.get("muted", false));
  $("session-day").value = localDay();

  for (const button of document.querySelectorAll("[data-direction]")) {
    button.addEventListener("click", () => setDirection(button.dataset.direction));
  }
  $("mute").addEventListener("click", () => setMuted(!state.muted));
  $("session").addEventListener("change", (e) => chooseSession(Number(e.target.value) || null));
  $("session-day").addEventListener("change", (e) => e.target.value && loadSessions(e.target.value));
  $("manual").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("manual-code");
    handleCode(input.value, "manual");
    input.value = "";
  });
  $("switch-camera").addEventListener("click", () => {
    camera.index = (camera.index + 1) % Math.max(1, camera.devices.length);
    startCamera();
  });
  $("torch").addEventListener("click", async () => {
    const track = camera.stream && camera.stream.getVideoTracks()[0];
    if (!track) return;
    const on = $("torch").getAttribute("aria-pressed") !== "true";
    try {
      await track.applyConstraints({ advanced: [{ torch: on }] });
      $("torch").setAttribute("aria-pressed", String(on));
    } catch {
      /* not on this camera after all */
    }
  });
  window.addEventListener("keydown", onKey);
  window.addEventListener("online", () => flush());
  window.addEventListener("offline", () => setOnline(false));
  setInterval(() => flush(), 10_000);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register(body.dataset.serviceWorker, { scope: body.dataset.scope })
      .then(() => (body.dataset.serviceWorkerState = "registered"))
      .catch(() => {});
  }
  startDecoder();
  startCamera();
  await updateWaiting();
  if (state.token) await afterPairing();
  else {
    await showPairing(false);
    body.dataset.ready = "true";
  }
}

main();
