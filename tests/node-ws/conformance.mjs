// Drives the bridge's /ws with the Node `ws` client, an implementation independent of .NET, for
// tests/Bridge.Tests/Protocol/NodeWsConformanceTests.cs. One case per run:
//
//   node conformance.mjs <ws-url> ping
//   node conformance.mjs <ws-url> fragments
//   node conformance.mjs <ws-url> pings <count> <min-ms>
//   node conformance.mjs <ws-url> close <code> <reason>
//   node conformance.mjs <ws-url> too-big <bytes>
//
// It reports what happens as stdout lines ("open", "pong <hex>", "close <code> <reason>", ...) that
// the C# test waits for; the test checks what the backend received. Exit code 0 once the socket
// has closed, 1 on a WebSocket error or bad arguments, 2 if the case has not ended in 30 s.
import { randomBytes } from "node:crypto";
import WebSocket from "ws";

const [url, scenario, ...args] = process.argv.slice(2);
const say = (line) => process.stdout.write(line + "\n");

if (!url || !scenario) {
  say("usage: node conformance.mjs <ws-url> <case> [args]");
  process.exit(1);
}

// A bound on the whole run, so a hung case ends the process; the C# side has its own timeouts.
setTimeout(() => {
  say("timeout: the case did not end within 30 s");
  process.exit(2);
}, 30_000).unref();

const ws = new WebSocket(url);

ws.on("error", (error) => {
  say(`error ${error.message}`);
  process.exit(1);
});

ws.on("close", (code, reason) => {
  say(`close ${code} ${reason.toString("utf8")}`);
  process.exit(0);
});

ws.on("open", () => {
  say("open");
  switch (scenario) {
    case "ping":
      return ping();
    case "fragments":
      return fragments();
    case "pings":
      return pings(Number(args[0]), Number(args[1]));
    case "close":
      return ws.close(Number(args[0]), args[1]);
    case "too-big":
      return ws.send(Buffer.alloc(Number(args[0]), 0x61));
    default:
      say(`error unknown case ${scenario}`);
      process.exit(1);
  }
});

/** Pings with a payload (text and random bytes, 64 in all) and reports the pong's payload. */
function ping() {
  const payload = Buffer.concat([Buffer.from("node ping ✓ ", "utf8"), randomBytes(64 - 14)]);
  ws.on("pong", (data) => {
    say(`pong ${data.toString("hex")}`);
    ws.close(1000);
  });
  say(`ping ${payload.toString("hex")}`);
  ws.ping(payload);
}

/**
 * One text message in five frames (the first a text frame with FIN=0, then continuation frames),
 * "€" (E2 82 AC) split across two of them; then one binary message in three frames.
 */
function fragments() {
  ws.send("Hello ", { fin: false });
  ws.send("from node ", { fin: false });
  ws.send(Buffer.from([0xe2]), { binary: false, fin: false });
  ws.send(Buffer.from([0x82, 0xac]), { binary: false, fin: false });
  ws.send(" ws", { fin: true });
  ws.send(Buffer.from([0, 1, 2]), { binary: true, fin: false });
  ws.send(Buffer.from([3, 4, 5]), { binary: true, fin: false });
  ws.send(Buffer.from([6, 255]), { binary: true, fin: true }, () => {
    say("sent");
    ws.close(1000);
  });
}

/**
 * Counts the server's pings (ws answers each with a pong by itself); once at least `count` have
 * come and `minMs` have passed, says so and waits for one message, then closes.
 */
function pings(count, minMs) {
  const started = Date.now();
  let seen = 0;
  let reported = false;
  ws.on("ping", (data) => {
    seen++;
    say(`ping ${seen} ${data.toString("hex")}`);
    if (!reported && seen >= count && Date.now() - started >= minMs) {
      reported = true;
      say(`pings-seen ${seen} in ${Date.now() - started} ms`);
    }
  });
  ws.on("message", (data, isBinary) => {
    say(`message ${isBinary ? "binary" : "text"} ${data.toString("utf8")}`);
    ws.close(1000);
  });
}
