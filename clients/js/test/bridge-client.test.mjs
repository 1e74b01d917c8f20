// The client's own logic against a hand-driven fake WebSocket: positions, resume, gaps, publish
// answers, reconnect backoff. Run with `node --test clients/js/test` (nothing to install).

import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../bridge-client.js";

/** The browser's WebSocket as far as the client uses it, driven by hand: the test plays the bridge. */
class FakeWebSocket {
  static instances = [];

  /** The most recently created socket. */
  static get last() { return FakeWebSocket.instances.at(-1); }

  static reset() { FakeWebSocket.instances = []; }

  constructor(url, protocol) {
    this.url = url;
    this.protocol = protocol;
    this.readyState = 0;
    this.sent = [];
    this.closedWith = undefined;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    FakeWebSocket.instances.push(this);
  }

  send(text) {
    if (this.readyState !== 1) throw new Error("InvalidStateError: not open");
    this.sent.push(JSON.parse(text));
  }

  close(code) {
    this.closedWith = code ?? 1005;
    this.readyState = 3;
  }

  // --- the bridge's side ---

  /** Opens the socket and sends the welcome. */
  accept(connectionId = "conn-" + FakeWebSocket.instances.length) {
    this.readyState = 1;
    this.onopen?.({});
    this.deliver({ type: "welcome", connectionId });
  }

  deliver(envelope) {
    this.onmessage?.({ data: typeof envelope === "string" ? envelope : JSON.stringify(envelope) });
  }

  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean: false });
  }
}

/** Lets queued microtasks (the client's deferred connect, promise callbacks) run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const EPOCH = "q8f3k2m1x9";
const OTHER_EPOCH = "b71kz0q3pd";

let clients = [];
let timers;

beforeEach(() => {
  FakeWebSocket.reset();
  clients = [];
  timers = captureTimers();
});

afterEach(() => {
  for (const client of clients) client.close();
  timers.restore();
});

/** Replaces setTimeout so reconnect delays are recorded and run only when a test says so. */
function captureTimers() {
  const original = globalThis.setTimeout;
  const pending = [];
  globalThis.setTimeout = (callback, delay) => {
    const timer = { callback, delay, cancelled: false };
    pending.push(timer);
    return timer;
  };
  const originalClear = globalThis.clearTimeout;
  globalThis.clearTimeout = (timer) => { if (timer && typeof timer === "object" && "cancelled" in timer) timer.cancelled = true; else originalClear(timer); };
  return {
    pending,
    delays: () => pending.map((t) => t.delay),
    /** Runs the newest timer that is still due. */
    runLast() {
      const timer = pending.findLast((t) => !t.cancelled);
      timer.cancelled = true;
      timer.callback();
    },
    restore() { globalThis.setTimeout = original; globalThis.clearTimeout = originalClear; },
  };
}

/** A client connected to the fake bridge, plus everything it reported. */
async function open(url = "ws://bridge.test/ws", options = {}) {
  const client = connect(url, { WebSocket: FakeWebSocket, ...options });
  clients.push(client);
  const events = [];
  for (const name of ["connecting", "open", "closed", "unrecovered", "error"]) {
    client.on(name, (detail) => events.push([name, detail]));
  }
  client.on("message", (data, meta) => events.push(["message", data, meta]));
  await tick();
  const socket = FakeWebSocket.last;
  socket.accept();
  return { client, socket, events, of: (name) => events.filter((e) => e[0] === name).map((e) => e[1]) };
}

/** Subscribes and collects what the handler receives. */
function collect(client, topic, options) {
  const received = [];
  const subscription = client.subscribe(topic, (data, meta) => received.push({ data, ...meta }), options);
  return { received, subscription, sequences: () => received.map((m) => m.sequence) };
}

const msg = (topic, sequence, extra = {}) => ({ type: "message", topic, sequence, epoch: EPOCH, data: `${topic}#${sequence}`, ...extra });

test("connects with the bridge.v1.json subprotocol, turning http URLs into ws ones", async () => {
  const { client, socket, events } = await open("https://bridge.test/ws?x=1#frag");
  assert.equal(socket.url, "wss://bridge.test/ws?x=1");
  assert.equal(socket.protocol, "bridge.v1.json");
  assert.equal(client.state, "open");
  assert.equal(client.connectionId, "conn-1");
  assert.deepEqual(events.map((e) => e[0]), ["connecting", "open"]);
});

test("a relative URL needs a page to resolve against", () => {
  assert.throws(() => connect("/ws", { WebSocket: FakeWebSocket }), TypeError);
});

test("subscriptions made before the welcome are sent after it, without since", async () => {
  const client = connect("ws://bridge.test/ws", { WebSocket: FakeWebSocket });
  clients.push(client);
  client.subscribe("prices", () => {});
  await tick();
  const socket = FakeWebSocket.last;
  assert.equal(socket.sent.length, 0);
  socket.accept();
  assert.deepEqual(socket.sent, [{ type: "subscribe", topic: "prices", id: 1 }]);
});

test("a fresh subscription adopts the reported position and accepts the kept latest value once", async () => {
  const { client, socket } = await open();
  const prices = collect(client, "prices");
  socket.deliver({ type: "subscribed", id: 1, topic: "prices", sequence: 41, epoch: EPOCH });
  socket.deliver(msg("prices", 41));  // the latest value
  socket.deliver(msg("prices", 41));  // a duplicate
  socket.deliver(msg("prices", 42));
  assert.deepEqual(prices.sequences(), [41, 42]);
  assert.deepEqual(prices.received[0], { data: "prices#41", topic: "prices", sequence: 41, epoch: EPOCH, replayed: true });
  assert.equal(prices.received[1].replayed, false);
  assert.deepEqual(prices.subscription.position, { sequence: 42, epoch: EPOCH });
});

test("a fresh subscription followed directly by live updates reports no loss", async () => {
  const { client, socket, of } = await open();
  const news = collect(client, "news");
  socket.deliver({ type: "subscribed", id: 1, topic: "news", sequence: 7, epoch: EPOCH });
  socket.deliver(msg("news", 8));
  assert.deepEqual(news.sequences(), [8]);
  assert.deepEqual(of("unrecovered"), []);
});

test("after a drop it resumes every subscription from the last position it saw", async () => {
  const { client, socket, events, of } = await open();
  const prices = collect(client, "prices");
  socket.deliver({ type: "subscribed", id: 1, topic: "prices", sequence: 41, epoch: EPOCH });
  socket.deliver(msg("prices", 42));
  socket.drop(1006);

  const [closed] = of("closed");
  assert.equal(closed.code, 1006);
  assert.equal(closed.willReconnect, true);
  assert.equal(client.state, "closed");
  timers.runLast();
  await tick();
  const second = FakeWebSocket.last;
  assert.notEqual(second, socket);
  second.accept("conn-2");
  assert.equal(client.connectionId, "conn-2");
  assert.deepEqual(second.sent, [{ type: "subscribe", topic: "prices", id: 2, since: { sequence: 42, epoch: EPOCH } }]);

  second.deliver({ type: "subscribed", id: 2, topic: "prices", sequence: 45, epoch: EPOCH, recovered: true });
  for (const sequence of [42, 43, 44, 45, 46]) second.deliver(msg("prices", sequence));
  assert.deepEqual(prices.sequences(), [42, 43, 44, 45, 46]);
  assert.deepEqual(prices.received.map((m) => m.replayed), [false, true, true, true, false]);
  assert.deepEqual(of("unrecovered"), []);
  assert.deepEqual(events.map((e) => e[0]), ["connecting", "open", "closed", "connecting", "open"]);
});

test("recovered:false reports unrecovered with the new position and epoch, then carries on", async () => {
  const { client, socket, of } = await open();
  const prices = collect(client, "prices");
  socket.deliver({ type: "subscribed", id: 1, topic: "prices", sequence: 3, epoch: EPOCH });
  socket.drop();
  timers.runLast();
  await tick();
  const second = FakeWebSocket.last;
  second.accept();
  assert.deepEqual(second.sent[0].since, { sequence: 3, epoch: EPOCH });

  second.deliver({ type: "subscribed", id: 2, topic: "prices", sequence: 1, epoch: OTHER_EPOCH, recovered: false });
  second.deliver({ ...msg("prices", 1), epoch: OTHER_EPOCH });   // the kept latest value
  second.deliver({ ...msg("prices", 2), epoch: OTHER_EPOCH });
  assert.deepEqual(of("unrecovered"), [{ topic: "prices", sequence: 1, epoch: OTHER_EPOCH }]);
  assert.deepEqual(prices.sequences(), [1, 2]);
  assert.deepEqual(prices.subscription.position, { sequence: 2, epoch: OTHER_EPOCH });
});

test("a gap explained by skipped is by design; an unexplained one is reported as unrecovered", async () => {
  const { client, socket, of } = await open();
  const ticker = collect(client, "ticker");
  socket.deliver({ type: "subscribed", id: 1, topic: "ticker", sequence: 86, epoch: EPOCH });
  socket.deliver(msg("ticker", 87));
  socket.deliver(msg("ticker", 90, { skipped: 2 }));
  assert.deepEqual(of("unrecovered"), []);
  assert.equal(ticker.received[1].skipped, 2);

  socket.deliver(msg("ticker", 95, { skipped: 1 }));
  assert.deepEqual(of("unrecovered"), [{ topic: "ticker", sequence: 95, epoch: EPOCH }]);
  assert.deepEqual(ticker.sequences(), [87, 90, 95]);
});

test("binary updates arrive as Uint8Array; direct replies without a position arrive as they are", async () => {
  const { client, socket } = await open();
  const frames = collect(client, "frames");
  socket.deliver({ type: "subscribed", id: 1, topic: "frames", sequence: 6, epoch: EPOCH });
  socket.deliver({ type: "message", topic: "frames", sequence: 7, epoch: EPOCH, data: "AAECAw==", encoding: "base64" });
  socket.deliver({ type: "message", topic: "frames", data: "just for you" });
  assert.deepEqual(frames.received[0].data, new Uint8Array([0, 1, 2, 3]));
  assert.deepEqual(frames.received[1], { data: "just for you", topic: "frames", sequence: undefined, epoch: undefined });
  assert.deepEqual(frames.subscription.position, { sequence: 7, epoch: EPOCH });
});

test("updates of topics without a handler, such as broadcasts, go to the message event", async () => {
  const { socket, of, events } = await open();
  socket.deliver({ ...msg("", 3), data: "maintenance" });
  assert.deepEqual(events.at(-1), ["message", "maintenance", { topic: "", sequence: 3, epoch: EPOCH }]);
  assert.equal(of("message").length, 1);
});

test("publish resolves on published and rejects with the error envelope's code", async () => {
  const { client, socket } = await open();
  const ok = client.publish("chat", "hello");
  const refused = client.publish("chat", new Uint8Array([255, 0]));
  assert.deepEqual(socket.sent, [
    { type: "publish", topic: "chat", data: "hello", id: 1 },
    { type: "publish", topic: "chat", data: "/wA=", encoding: "base64", id: 2 },
  ]);
  socket.deliver({ type: "published", id: 1, topic: "chat" });
  socket.deliver({ type: "error", id: 2, code: "no_listener", message: "no backend listens to 'chat'" });
  await ok;
  await assert.rejects(refused, { name: "BridgeError", code: "no_listener", message: "no backend listens to 'chat'" });
});

test("publish rejects with not_connected before the welcome, disconnected on a drop, closed after close()", async () => {
  const early = connect("ws://bridge.test/ws", { WebSocket: FakeWebSocket });
  clients.push(early);
  await assert.rejects(early.publish("chat", "x"), { code: "not_connected" });

  const { client, socket } = await open();
  const lost = client.publish("chat", "x");
  socket.drop();
  await assert.rejects(lost, { code: "disconnected" });

  timers.runLast();
  await tick();
  FakeWebSocket.last.accept();
  const pending = client.publish("chat", "y");
  client.close();
  await assert.rejects(pending, { code: "closed" });
  await assert.rejects(client.publish("chat", "z"), { code: "closed" });
  await assert.rejects(client.publish("bad topic", "z"), { code: "invalid_topic" });
  await assert.rejects(client.publish("chat", { not: "data" }), TypeError);
});

test("publishTimeout rejects with timeout and ignores a late answer", async () => {
  const { client, socket, of } = await open("ws://bridge.test/ws", { publishTimeout: 5000 });
  const slow = client.publish("chat", "x");
  assert.equal(timers.pending.at(-1).delay, 5000);
  timers.runLast();
  await assert.rejects(slow, { code: "timeout" });
  socket.deliver({ type: "published", id: 1, topic: "chat" });
  assert.deepEqual(of("error"), []);
});

test("unsubscribe drops what is still in flight for the topic", async () => {
  const { client, socket, of } = await open();
  const prices = collect(client, "prices");
  socket.deliver({ type: "subscribed", id: 1, topic: "prices", sequence: 1, epoch: EPOCH });
  prices.subscription.unsubscribe();
  assert.deepEqual(socket.sent.at(-1), { type: "unsubscribe", topic: "prices", id: 2 });
  assert.equal(prices.subscription.active, false);
  socket.deliver(msg("prices", 2));
  socket.deliver({ type: "unsubscribed", id: 2, topic: "prices" });
  assert.deepEqual(prices.received, []);
  assert.deepEqual(of("message"), []);
});

test("subscribing twice to one topic throws; a refused subscribe is reported and deactivated", async () => {
  const { client, socket, of } = await open();
  const first = collect(client, "a");
  assert.throws(() => client.subscribe("a", () => {}), { code: "already_subscribed" });
  assert.throws(() => client.subscribe("bad topic", () => {}), { code: "invalid_topic" });
  socket.deliver({ type: "error", id: 1, code: "too_many_subscriptions", message: "too many" });
  await tick();
  assert.equal(first.subscription.active, false);
  assert.equal(of("error")[0].code, "too_many_subscriptions");
  assert.equal(of("error")[0].topic, "a");
  collect(client, "a"); // free again
});

test("topics in the URL are not subscribed again; a changed position after a reconnect is unrecovered", async () => {
  const { client, socket, of } = await open("ws://bridge.test/ws?topic=list");
  const list = collect(client, "list");
  assert.deepEqual(socket.sent, []);
  socket.deliver({ type: "subscribed", topic: "list", sequence: 4, epoch: EPOCH });
  socket.deliver(msg("list", 5));
  socket.drop();
  timers.runLast();
  await tick();
  const second = FakeWebSocket.last;
  second.accept();
  assert.deepEqual(second.sent, []);
  second.deliver({ type: "subscribed", topic: "list", sequence: 5, epoch: EPOCH });
  assert.deepEqual(of("unrecovered"), []);
  second.drop();
  timers.runLast();
  await tick();
  const third = FakeWebSocket.last;
  third.accept();
  third.deliver({ type: "subscribed", topic: "list", sequence: 9, epoch: EPOCH });
  third.deliver(msg("list", 10));
  assert.deepEqual(of("unrecovered"), [{ topic: "list", sequence: 9, epoch: EPOCH }]);
  assert.deepEqual(list.sequences(), [5, 10]);
});

test("since resumes from a stored position on the first connect", async () => {
  const { client, socket } = await open();
  const prices = collect(client, "prices", { since: { sequence: 10, epoch: EPOCH } });
  assert.deepEqual(socket.sent, [{ type: "subscribe", topic: "prices", id: 1, since: { sequence: 10, epoch: EPOCH } }]);
  socket.deliver({ type: "subscribed", id: 1, topic: "prices", sequence: 11, epoch: EPOCH, recovered: true });
  socket.deliver(msg("prices", 10));
  socket.deliver(msg("prices", 11));
  assert.deepEqual(prices.sequences(), [11]);
});

test("reconnect delays grow exponentially with full jitter, stay within bounds and reset after a welcome", async () => {
  const random = Math.random;
  try {
    Math.random = () => 0.999999;
    const { socket } = await open("ws://bridge.test/ws", { minDelay: 100, maxDelay: 1000 });
    socket.drop();
    for (let i = 0; i < 6; i++) {
      timers.runLast();
      await tick();
      FakeWebSocket.last.drop();
    }
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
    assert.deepEqual(timers.delays(), ceilings);

    timers.runLast();
    await tick();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.drop();
    assert.equal(timers.delays().at(-1), 100);

    Math.random = () => 0;
    timers.runLast();
    await tick();
    FakeWebSocket.last.drop();
    assert.equal(timers.delays().at(-1), 0);
  } finally {
    Math.random = random;
  }
});

test("close() stops for good: closed with willReconnect false, and no further attempt", async () => {
  const { client, socket, of } = await open();
  client.close();
  assert.equal(client.state, "closed");
  assert.equal(socket.closedWith, 1000);
  assert.deepEqual(of("closed"), [{ code: 1000, reason: "closed by the client", willReconnect: false, delay: undefined }]);
  assert.equal(timers.pending.filter((t) => !t.cancelled).length, 0);
});

test("a handler that throws does not break the client", async () => {
  const { client, socket } = await open();
  const errors = [];
  timers.restore();
  const original = globalThis.setTimeout;
  globalThis.setTimeout = (callback) => { try { callback(); } catch (error) { errors.push(error); } };
  try {
    client.subscribe("a", () => { throw new Error("app bug"); });
    socket.deliver({ type: "subscribed", id: 1, topic: "a", sequence: 0, epoch: EPOCH });
    socket.deliver(msg("a", 1));
    socket.deliver(msg("a", 2));
  } finally {
    globalThis.setTimeout = original;
    timers = captureTimers();
  }
  assert.equal(errors.length, 2);
});

test("a URL topic subscribed after the welcome still reaches its handler", async () => {
  const { client, socket } = await open("ws://bridge.test/ws?topic=list");
  socket.deliver({ type: "subscribed", topic: "list", sequence: 2, epoch: EPOCH });
  const list = collect(client, "list");
  assert.deepEqual(socket.sent, []);
  socket.deliver(msg("list", 3));
  assert.deepEqual(list.sequences(), [3]);
});

test("the broadcast topic can be resumed: live broadcasts before the answer do not skip the replay", async () => {
  const { client, socket } = await open();
  const broadcast = collect(client, "");
  socket.deliver({ type: "subscribed", id: 1, topic: "", sequence: 5, epoch: EPOCH });
  socket.deliver(msg("", 6));
  socket.drop();
  timers.runLast();
  await tick();
  const second = FakeWebSocket.last;
  second.accept();
  assert.deepEqual(second.sent, [{ type: "subscribe", topic: "", id: 2, since: { sequence: 6, epoch: EPOCH } }]);
  second.deliver(msg("", 9));  // live, before the answer: it will be replayed
  second.deliver({ type: "subscribed", id: 2, topic: "", sequence: 9, epoch: EPOCH, recovered: true });
  for (const sequence of [7, 8, 9, 10]) second.deliver(msg("", sequence));
  assert.deepEqual(broadcast.sequences(), [6, 7, 8, 9, 10]);
});

test("a subscription made in an open handler is sent once", async () => {
  const client = connect("ws://bridge.test/ws", { WebSocket: FakeWebSocket });
  clients.push(client);
  client.subscribe("a", () => {});
  client.on("open", () => client.subscribe("b", () => {}));
  await tick();
  FakeWebSocket.last.accept();
  assert.deepEqual(FakeWebSocket.last.sent.map((r) => r.topic), ["a", "b"]);
});

test("with pingInterval, an unanswered ping drops the connection and reconnects", async () => {
  const originalInterval = globalThis.setInterval;
  const intervals = [];
  globalThis.setInterval = (callback, delay) => { intervals.push({ callback, delay }); return intervals.length; };
  try {
    const { socket, of } = await open("ws://bridge.test/ws", { pingInterval: 20000 });
    assert.equal(intervals[0].delay, 20000);
    intervals[0].callback();
    assert.deepEqual(socket.sent, [{ type: "ping", id: 1 }]);
    socket.deliver({ type: "pong", id: 1 });
    await tick();
    intervals[0].callback();
    intervals[0].callback(); // the second ping was not answered
    assert.equal(socket.closedWith, 1000);
    assert.deepEqual(of("closed").map((c) => [c.code, c.willReconnect]), [[4000, true]]);
  } finally {
    globalThis.setInterval = originalInterval;
  }
});
