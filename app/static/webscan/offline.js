// What the page can tell without the server, as the laptop scanner's scanner/offline.py: is this
// a code signed by the server's key (Ed25519 through Web Crypto), is the person on the session's
// cached roster with this code's key version (a revoked code has an older one), and which way
// the scan probably goes (checkin.scan_direction, the server's own rule, ported below).

const PREFIX = "AZ1.";

function base64urlBytes(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export async function importPublicKey(pem) {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey("spki", der, { name: "Ed25519" }, false, ["verify"]);
}

// {participant_id, key_version} for a code signed by `key`, or null.
export async function verifyCode(key, text) {
  text = text.trim();
  if (!text.startsWith(PREFIX)) return null;
  const raw = base64urlBytes(text.slice(PREFIX.length));
  if (!raw || raw.length !== 6 + 64) return null;
  const body = raw.slice(0, 6);
  const signed = new Uint8Array(PREFIX.length + 6);
  signed.set(new TextEncoder().encode(PREFIX));
  signed.set(body, PREFIX.length);
  let valid = false;
  try {
    valid = await crypto.subtle.verify({ name: "Ed25519" }, key, raw.slice(6), signed);
  } catch {
    return null;
  }
  if (!valid) return null;
  const view = new DataView(body.buffer);
  return { participant_id: view.getUint32(0), key_version: view.getUint16(4) };
}

// checkin.scan_direction: [direction, repeat].
export function scanDirection(requested, lastKind, lastAt, at, repeatMs) {
  const recent = lastAt !== null && Math.abs(at - lastAt) < repeatMs;
  if (requested === "auto") {
    if (recent && lastKind) return [lastKind, true];
    return [lastKind === "in" ? "out" : "in", false];
  }
  return [requested, Boolean(recent && lastKind === requested)];
}

// The verdict on a code for a cached roster record {participants: [...], state: {id: [kind, at]}}.
export async function check(key, record, text, at, requested, repeatMs) {
  const signed = await verifyCode(key, text);
  if (!signed) return { ok: false, reason: "invalid_code" };
  const person = record.participants.find((p) => p.id === signed.participant_id);
  if (!person) return { ok: false, reason: "not_enrolled", participant_id: signed.participant_id };
  if (person.key_version !== signed.key_version) {
    return { ok: false, reason: "revoked_code", participant_id: person.id, name: person.name };
  }
  const [kind, lastAt] = record.state[person.id] || ["out", null];
  const [direction, repeat] = scanDirection(
    requested,
    kind,
    lastAt === null ? null : new Date(lastAt).getTime(),
    at.getTime(),
    repeatMs,
  );
  return { ok: true, participant_id: person.id, name: person.name, direction, repeat };
}

// A roster record from the API's roster answer.
export function rosterRecord(sessionId, roster) {
  const state = {};
  for (const p of roster.participants) state[p.id] = [p.state, p.last_at || null];
  return { session_id: sessionId, participants: roster.participants, state, session: roster.session };
}
