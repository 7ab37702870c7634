// The browser scanner's storage (IndexedDB): its settings and token, the cached public key and
// rosters, and the journal of scans. A scan is written to the journal with its nonce before it
// is sent, as the laptop scanner's SQLite journal does, so a closed tab or a restarted phone
// loses nothing: the page sends what waits when it is opened again.

const NAME = "aanwezig-scan";
const VERSION = 1;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function open() {
  const req = indexedDB.open(NAME, VERSION);
  req.onupgradeneeded = () => {
    const db = req.result;
    db.createObjectStore("settings", { keyPath: "key" });
    db.createObjectStore("rosters", { keyPath: "session_id" });
    const journal = db.createObjectStore("journal", { keyPath: "seq", autoIncrement: true });
    journal.createIndex("state", "state");
    journal.createIndex("nonce", "nonce", { unique: true });
  };
  return new Store(await request(req));
}

class Store {
  constructor(db) {
    this.db = db;
  }

  async get(key, fallback = null) {
    const tx = this.db.transaction("settings");
    const row = await request(tx.objectStore("settings").get(key));
    return row ? row.value : fallback;
  }

  async set(key, value) {
    const tx = this.db.transaction("settings", "readwrite");
    tx.objectStore("settings").put({ key, value });
    await done(tx);
  }

  async roster(sessionId) {
    const tx = this.db.transaction("rosters");
    return (await request(tx.objectStore("rosters").get(sessionId))) || null;
  }

  async saveRoster(record) {
    const tx = this.db.transaction("rosters", "readwrite");
    tx.objectStore("rosters").put(record);
    await done(tx);
  }

  // A scan, durably stored (the transaction completed) before anything is sent.
  async add(entry) {
    const tx = this.db.transaction("journal", "readwrite");
    const seq = await request(tx.objectStore("journal").add({ ...entry, state: "pending" }));
    await done(tx);
    return seq;
  }

  async entry(seq) {
    const tx = this.db.transaction("journal");
    return request(tx.objectStore("journal").get(seq));
  }

  // The oldest scan still waiting: scans are sent in the order they were made.
  async firstPending() {
    const tx = this.db.transaction("journal");
    const cursor = await request(
      tx.objectStore("journal").index("state").openCursor(IDBKeyRange.only("pending")),
    );
    return cursor ? cursor.value : null;
  }

  async pendingCount() {
    const tx = this.db.transaction("journal");
    return request(tx.objectStore("journal").index("state").count(IDBKeyRange.only("pending")));
  }

  // Scans the server answered, kept a week for a look back, then forgotten (a phone's storage
  // is small); a waiting scan is never dropped.
  async prune(before) {
    const tx = this.db.transaction("journal", "readwrite");
    const request_ = tx.objectStore("journal").openCursor();
    request_.onsuccess = () => {
      const cursor = request_.result;
      if (!cursor) return;
      const entry = cursor.value;
      if (entry.state !== "pending" && entry.settled_at && entry.settled_at < before) cursor.delete();
      cursor.continue();
    };
    await done(tx);
  }

  // The server's final word on a scan: "sent" (registered or a repeat) or "refused".
  async settle(seq, state, answer) {
    const tx = this.db.transaction("journal", "readwrite");
    const store = tx.objectStore("journal");
    const entry = await request(store.get(seq));
    if (entry && entry.state === "pending") {
      store.put({ ...entry, state, answer, settled_at: new Date().toISOString() });
    }
    await done(tx);
  }
}
