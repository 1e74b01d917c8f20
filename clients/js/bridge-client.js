// bridge-client.js — the JavaScript client of Bridge's JSON subprotocol `bridge.v1.json`.
// One dependency-free ES module for browsers and Node >= 20; the contract it implements is
// docs/protocol.md ("Stream positions and history", "The JSON subprotocol bridge.v1.json").
// Types and API documentation: bridge-client.d.ts. Usage: README.md.

export const PROTOCOL = "bridge.v1.json";

const TOPIC_RULE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Creates a client and starts connecting in the background; the client is returned at once.
 * `url`: `ws(s)://host/ws`, `http(s)://host/ws`, or a path such as `/ws` (browser only).
 * `options`: { minDelay, maxDelay, WebSocket, publishTimeout, pingInterval } (see the .d.ts).
 */
export function connect(url, options = {}) {
  return new BridgeClient(url, options);
}

/** An Error with the bridge's (or the client's) machine-readable `code`. */
export class BridgeError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "BridgeError";
    this.code = code;
  }
}

export class BridgeClient {
  #url;
  #urlTopics;            // topics in the URL's query: the bridge subscribes them itself on every connect
  #urlSubscribed = new Set(); // those of them still subscribed on the current connection
  #WebSocket;
  #minDelay;
  #maxDelay;
  #publishTimeout;
  #pingInterval;

  #socket = null;        // the current WebSocket; events of replaced ones are ignored
  #state = "connecting";
  #connectionId;
  #stopped = false;      // close() was called
  #attempt = 0;          // failed attempts since the last welcome, for the backoff
  #retryTimer;
  #pingTimer;
  #pingOutstanding = false;
  #nextId = 1;
  #requests = new Map(); // id -> { type, topic, resolve, reject, timer }
  #subs = new Map();     // topic -> subscription record (see subscribe)
  #leaving = new Set();  // topics unsubscribed on the server but not yet confirmed: their messages are dropped
  #handlers = new Map(); // event name -> Set of handlers

  constructor(url, options = {}) {
    this.#url = resolveUrl(url);
    this.#urlTopics = new Set(this.#url.searchParams.getAll("topic"));
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.#WebSocket !== "function") {
      throw new TypeError("no WebSocket implementation: pass options.WebSocket (Node < 22 has no global WebSocket)");
    }
    this.#minDelay = options.minDelay ?? 250;
    this.#maxDelay = Math.max(options.maxDelay ?? 10_000, this.#minDelay);
    this.#publishTimeout = options.publishTimeout ?? 0;
    this.#pingInterval = options.pingInterval ?? 0;
    // Deferred so that handlers registered right after connect() see the first `connecting`.
    queueMicrotask(() => this.#open());
  }

  /** "connecting" | "open" | "closed" */
  get state() { return this.#state; }

  /** The id the bridge gave the current connection (from its welcome); undefined until the first one. */
  get connectionId() { return this.#connectionId; }

  /** The URL the client connects to. */
  get url() { return this.#url.href; }

  on(event, handler) {
    if (!this.#handlers.has(event)) this.#handlers.set(event, new Set());
    this.#handlers.get(event).add(handler);
    return () => this.off(event, handler);
  }

  off(event, handler) {
    this.#handlers.get(event)?.delete(handler);
  }

  subscribe(topic, onMessage, options = {}) {
    checkTopic(topic);
    if (typeof onMessage !== "function") throw new TypeError("onMessage must be a function");
    if (this.#subs.has(topic)) {
      throw new BridgeError("already_subscribed", `already subscribed to topic '${topic}'; unsubscribe first`);
    }
    const since = options.since;
    if (since !== undefined && !(Number.isSafeInteger(since?.sequence) && since.sequence >= 0 && typeof since.epoch === "string")) {
      throw new TypeError("since must be { sequence: integer >= 0, epoch: string }");
    }
    const record = {
      topic,
      onMessage,
      position: since ? { sequence: since.sequence, epoch: since.epoch } : null,
      sent: false,         // a `subscribe` went out on the current connection
      requestId: undefined, // its id, to match the answer
      answered: false,     // the bridge has answered `subscribed` on the current connection
      acceptCurrent: false, // the next message may repeat the reported position (a kept latest value)
      current: 0,          // the sequence reported by the last `subscribed`; up to it, messages are replays
      active: true,
    };
    this.#subs.set(topic, record);
    if (this.#state === "open") {
      // A topic of the URL is already subscribed on this connection: its answer came, or is coming.
      if (this.#urlSubscribed.has(topic)) record.answered = true;
      else this.#sendSubscribe(record);
    }
    const client = this;
    return {
      topic,
      get position() { return record.position ? { ...record.position } : null; },
      get active() { return record.active; },
      unsubscribe() { if (client.#subs.get(topic) === record) client.unsubscribe(topic); },
    };
  }

  unsubscribe(topic) {
    const record = this.#subs.get(topic);
    if (!record) return false;
    record.active = false;
    this.#subs.delete(topic);
    // A topic from the URL is subscribed on the server without our asking.
    if (this.#state === "open" && (record.sent || this.#urlSubscribed.has(topic))) {
      this.#urlSubscribed.delete(topic);
      this.#leaving.add(topic);
      this.#request({ type: "unsubscribe", topic }).catch((error) => this.#requestFailed(error, topic));
    }
    return true;
  }

  publish(topic, data) {
    let payload;
    try {
      checkTopic(topic);
      payload = encode(data);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#stopped) return Promise.reject(new BridgeError("closed", "the client was closed"));
    if (this.#state !== "open") {
      return Promise.reject(new BridgeError("not_connected", "not connected; nothing was sent"));
    }
    return this.#request({ type: "publish", topic, ...payload }, this.#publishTimeout);
  }

  ping() {
    if (this.#state !== "open") return Promise.reject(new BridgeError("not_connected", "not connected; nothing was sent"));
    const start = Date.now();
    return this.#request({ type: "ping" }).then(() => Date.now() - start);
  }

  close() {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#closed(1000, "closed by the client", true);
  }

  // --- connection lifecycle ---------------------------------------------------------------

  #open() {
    if (this.#stopped) return;
    this.#setState("connecting", { attempt: this.#attempt });
    let ws;
    try {
      ws = new this.#WebSocket(this.#url.href, PROTOCOL);
    } catch (error) {
      // A constructor throws for a bad URL or a blocked port; treat it as a failed attempt.
      this.#emit("error", error);
      this.#closed(1006, String(error?.message ?? error), false);
      return;
    }
    this.#socket = ws;
    ws.onmessage = (event) => { if (this.#socket === ws) this.#receive(event.data); };
    ws.onclose = (event) => { if (this.#socket === ws) this.#closed(event.code, event.reason, false); };
    // `error` is always followed by `close`, which does the work. A handler must still be there:
    // Node's `ws` throws an `error` nobody listens to (e.g. after close() during the handshake).
    ws.onerror = () => {};
  }

  /** The current connection is over (or never came up): reject what waits on it, then retry unless stopped. */
  #closed(code, reason, closeSocket) {
    const ws = this.#socket;
    this.#socket = null;
    if (ws) {
      ws.onmessage = ws.onclose = null;
      if (closeSocket) try { ws.close(1000); } catch { /* already closing */ }
    }
    clearInterval(this.#pingTimer);
    this.#pingOutstanding = false;
    const failure = this.#stopped ? ["closed", "the client was closed"] : ["disconnected", "the connection closed before the bridge answered; the request may or may not have taken effect"];
    for (const request of this.#requests.values()) {
      clearTimeout(request.timer);
      request.reject(new BridgeError(...failure));
    }
    this.#requests.clear();
    this.#leaving.clear();
    for (const record of this.#subs.values()) record.answered = record.sent = false;

    const willReconnect = !this.#stopped;
    const delay = willReconnect ? this.#backoff() : undefined;
    this.#setState("closed", { code, reason: reason ?? "", willReconnect, delay });
    if (willReconnect) this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  /** Exponential backoff with full jitter: uniform in [0, min(maxDelay, minDelay * 2^attempt)]. */
  #backoff() {
    const ceiling = Math.min(this.#maxDelay, this.#minDelay * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(Math.random() * ceiling);
  }

  #welcome(message) {
    this.#connectionId = message.connectionId;
    this.#attempt = 0;
    this.#urlSubscribed = new Set(this.#urlTopics);
    this.#state = "open";
    // Resubscribe before telling the application, so what its `open` handler sends comes after.
    for (const record of this.#subs.values()) {
      if (!this.#urlSubscribed.has(record.topic)) this.#sendSubscribe(record);
    }
    if (this.#pingInterval > 0) this.#startPings();
    this.#emit("open", { connectionId: message.connectionId });
  }

  #startPings() {
    // An unanswered ping when the next is due means a dead connection that may not report its
    // close for minutes (a browser cannot see the bridge's WebSocket pings): drop it and reconnect.
    this.#pingTimer = setInterval(() => {
      if (this.#pingOutstanding) {
        this.#closed(4000, "ping timeout", true);
        return;
      }
      this.#pingOutstanding = true;
      this.#request({ type: "ping" }).then(() => { this.#pingOutstanding = false; }, () => {});
    }, this.#pingInterval);
  }

  #setState(state, detail) {
    this.#state = state;
    this.#emit(state, detail);
  }

  // --- requests ----------------------------------------------------------------------------

  #sendSubscribe(record) {
    const request = { type: "subscribe", topic: record.topic };
    if (record.position) request.since = { sequence: record.position.sequence, epoch: record.position.epoch };
    record.sent = true;
    record.requestId = this.#nextId; // the id #request is about to take
    this.#request(request).catch((error) => {
      // Refused (invalid topic, too many subscriptions, ...): the subscription cannot work.
      if (!isConnectionLoss(error) && this.#subs.get(record.topic) === record) {
        this.#subs.delete(record.topic);
        record.active = false;
      }
      this.#requestFailed(error, record.topic);
    });
  }

  /** A request without a caller to reject: the bridge's refusal goes to `error` listeners. */
  #requestFailed(error, topic) {
    if (isConnectionLoss(error)) return; // subscriptions are sent again on the next welcome
    error.topic = topic;
    this.#emit("error", error);
  }

  /** Sends a request with a fresh id; the promise settles with its answer, or rejects. */
  #request(body, timeout = 0) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const request = { type: body.type, topic: body.topic, resolve, reject, timer: undefined };
      if (timeout > 0) {
        request.timer = setTimeout(() => {
          this.#requests.delete(id);
          reject(new BridgeError("timeout", `no answer within ${timeout} ms; the request may or may not have taken effect`));
        }, timeout);
      }
      this.#requests.set(id, request);
      try {
        this.#socket.send(JSON.stringify({ ...body, id }));
      } catch (error) {
        this.#requests.delete(id);
        clearTimeout(request.timer);
        reject(new BridgeError("not_connected", String(error?.message ?? error)));
      }
    });
  }

  #settle(message, error) {
    if (message.id === undefined) return false;
    const request = this.#requests.get(message.id);
    if (!request) return false; // timed out already, or not ours
    this.#requests.delete(message.id);
    clearTimeout(request.timer);
    if (error) request.reject(error);
    else request.resolve(message);
    return true;
  }

  // --- incoming ----------------------------------------------------------------------------

  #receive(raw) {
    let message;
    try {
      if (typeof raw !== "string") throw new Error("binary message");
      message = JSON.parse(raw);
      if (!message || typeof message.type !== "string") throw new Error("no type");
    } catch (error) {
      this.#emit("error", new BridgeError("invalid_message", `the bridge sent something that is not an envelope: ${error.message}`));
      return;
    }
    switch (message.type) {
      case "welcome": this.#welcome(message); break;
      case "subscribed": this.#subscribed(message); this.#settle(message); break;
      case "unsubscribed": this.#leaving.delete(message.topic); this.#settle(message); break;
      case "message": this.#message(message); break;
      case "published":
      case "pong": this.#settle(message); break;
      case "error": {
        const error = new BridgeError(message.code ?? "error", message.message);
        if (!this.#settle(message, error)) this.#emit("error", error);
        break;
      }
      default: break; // a newer bridge may add types; ignoring them keeps old clients working
    }
  }

  #subscribed({ id, topic, sequence, epoch, recovered }) {
    const record = this.#subs.get(topic);
    // Without an id it answers a topic of the URL; with another id, an earlier subscription we left.
    if (!record || (id !== undefined && id !== record.requestId)) return;
    record.answered = true;
    record.current = sequence;
    const now = { sequence, epoch };
    const before = record.position;
    if (recovered === true && before) {
      return; // the missed updates follow: keep the last seen position so they pass the checks
    }
    // No `since` was sent (a fresh subscription, or a topic the URL subscribes on every connect)
    // or it could not be honoured. With a previous position, anything but "nothing happened since"
    // means updates were missed.
    const missed = recovered === false || (before !== null && !(before.epoch === epoch && before.sequence === sequence));
    record.position = now;
    record.acceptCurrent = before === null || missed;
    if (missed) this.#emit("unrecovered", { topic, sequence, epoch });
  }

  #message(message) {
    const { topic, sequence, epoch, skipped } = message;
    const data = message.encoding === "base64" ? decodeBase64(message.data) : message.data;
    const record = this.#subs.get(topic);
    const meta = { topic, sequence, epoch };
    if (skipped > 0) meta.skipped = skipped;

    // A direct reply from a backend takes no position: deliver it as it is.
    if (sequence === undefined) {
      this.#deliver(record, data, meta);
      return;
    }
    if (this.#leaving.has(topic)) return; // the rest of a subscription we left
    if (!record || (!record.answered && !record.position)) {
      // Not (yet) ours: an update of a URL topic without a handler.
      this.#emit("message", data, meta);
      return;
    }

    const last = record.position;
    if (!record.answered && !(last.epoch === epoch && sequence === last.sequence + 1)) {
      // Defensive: nothing of a topic should arrive before the answer to our `subscribe` (the
      // bridge queues the answer first). Keep the position where it is, so the replay that
      // follows fills any gap, or the answer reports it as unrecovered.
      return;
    }
    if (last && last.epoch === epoch) {
      const repeat = sequence === last.sequence && record.acceptCurrent;
      if (sequence <= last.sequence && !repeat) return; // a duplicate: already delivered
      // `skipped` gaps are made by the topic's drop-oldest/conflate policy on purpose, not loss.
      if (sequence > last.sequence + 1 + (skipped ?? 0)) {
        this.#emit("unrecovered", { topic, sequence, epoch });
      }
    } else if (last) {
      // A new epoch without a `subscribed` saying so: the topic's history was reset under us.
      this.#emit("unrecovered", { topic, sequence, epoch });
    }
    record.position = { sequence, epoch };
    record.acceptCurrent = false;
    meta.replayed = record.answered && sequence <= record.current;
    this.#deliver(record, data, meta);
  }

  #deliver(record, data, meta) {
    if (!record) {
      this.#emit("message", data, meta);
      return;
    }
    try {
      record.onMessage(data, meta);
    } catch (error) {
      rethrow(error);
    }
  }

  #emit(event, ...args) {
    const handlers = this.#handlers.get(event);
    if (!handlers?.size) {
      if (event === "error" && args[0]?.code !== undefined) console.warn("bridge-client:", args[0].code, args[0].message);
      return;
    }
    for (const handler of [...handlers]) {
      try {
        handler(...args);
      } catch (error) {
        rethrow(error);
      }
    }
  }
}

// --- helpers -------------------------------------------------------------------------------

function isConnectionLoss(error) {
  return error.code === "disconnected" || error.code === "closed" || error.code === "not_connected";
}

/** Throws later, so that an application handler's bug is reported but cannot break the client's bookkeeping. */
function rethrow(error) {
  setTimeout(() => { throw error; });
}

function resolveUrl(url) {
  const base = globalThis.location?.href;
  let resolved;
  try {
    resolved = new URL(String(url), base);
  } catch {
    throw new TypeError(`invalid bridge URL '${url}'${base ? "" : " (a relative URL needs a browser page to resolve against)"}`);
  }
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  else if (resolved.protocol === "https:") resolved.protocol = "wss:";
  if (resolved.protocol !== "ws:" && resolved.protocol !== "wss:") {
    throw new TypeError(`invalid bridge URL '${url}': expected ws:, wss:, http: or https:`);
  }
  resolved.hash = "";
  return resolved;
}

function checkTopic(topic) {
  // "" is the broadcast topic: allowed (to resume it), per the protocol. Other names follow the topic rule.
  if (typeof topic !== "string" || (topic !== "" && !TOPIC_RULE.test(topic))) {
    throw new BridgeError("invalid_topic", `invalid topic ${JSON.stringify(topic)}: 1-128 characters of A-Z a-z 0-9 _ . : -`);
  }
}

function encode(data) {
  if (typeof data === "string") return { data };
  if (data instanceof ArrayBuffer) return { data: encodeBase64(new Uint8Array(data)), encoding: "base64" };
  if (ArrayBuffer.isView(data)) {
    return { data: encodeBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), encoding: "base64" };
  }
  throw new TypeError("publish data must be a string, an ArrayBuffer or a typed array (JSON.stringify objects yourself)");
}

function encodeBase64(bytes) {
  let binary = "";
  // In chunks: String.fromCharCode with a very long argument list overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function decodeBase64(text) {
  const binary = atob(text ?? "");
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export default connect;
