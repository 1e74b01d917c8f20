// Type declarations for bridge-client.js, the client of Bridge's JSON subprotocol `bridge.v1.json`.
// The wire contract is docs/protocol.md in the Bridge repository.

/** The WebSocket subprotocol the client offers: `"bridge.v1.json"`. */
export declare const PROTOCOL: "bridge.v1.json";

/**
 * Creates a client and starts connecting in the background; it is returned at once and never
 * throws for network reasons (it keeps retrying). Throws a `TypeError` only for an invalid URL or
 * when there is no WebSocket implementation.
 *
 * @param url `ws://host/ws`, `wss://host/ws`, `http(s)://host/ws` (turned into ws/wss), or, in a
 *   browser, a path such as `/ws` resolved against the page. `?topic=` parameters in the URL are
 *   subscribed by the bridge on every connect, without resume (see the README).
 */
export declare function connect(url: string | URL, options?: ConnectOptions): BridgeClient;
export default connect;

export interface ConnectOptions {
  /** First reconnect delay ceiling in ms (default 250). */
  minDelay?: number;
  /** Largest reconnect delay ceiling in ms (default 10000). */
  maxDelay?: number;
  /**
   * The WebSocket constructor to use (default `globalThis.WebSocket`). Needed on Node 20, which has
   * no global WebSocket: e.g. `WebSocket` from the `ws` package.
   */
  WebSocket?: WebSocketConstructor;
  /** Reject a publish that has no answer after this many ms with code `"timeout"` (default 0: never). */
  publishTimeout?: number;
  /**
   * Send an application-level `ping` every this many ms while open (default 0: off). A ping still
   * unanswered when the next is due drops the connection (closed with code 4000) and reconnects;
   * this detects dead connections that a browser would otherwise notice only much later.
   */
  pingInterval?: number;
}

/** What the client needs of a WebSocket constructor (the browser's, Node 22's, or `ws`'s). */
export interface WebSocketConstructor {
  new (url: string, protocol: string): {
    send(data: string): void;
    close(code?: number, reason?: string): void;
    onmessage: ((event: { data: unknown }) => void) | null;
    onclose: ((event: { code: number; reason: string }) => void) | null;
    onerror: ((event: unknown) => void) | null;
  };
}

export type ConnectionState = "connecting" | "open" | "closed";

/** A position in a topic's stream. Only meaningful together with its epoch. */
export interface Position {
  sequence: number;
  epoch: string;
}

/** Where a message comes from. */
export interface MessageMeta {
  topic: string;
  /** The update's position; `undefined` for a direct reply from a backend, which takes no position. */
  sequence: number | undefined;
  epoch: string | undefined;
  /**
   * Present (> 0) when the topic's slow-consumer policy (drop-oldest, conflate) dropped that many
   * updates for this connection just before this one. By design: not reported as unrecovered.
   */
  skipped?: number;
  /**
   * True when the update was published before this (re)subscription was answered: history replayed
   * after a resume, or the topic's kept latest value. Absent for direct replies and for updates
   * delivered to the `message` event.
   */
  replayed?: boolean;
}

/**
 * Receives a topic's updates: `data` is a string for a text update, a `Uint8Array` for a binary one.
 * An exception thrown here is reported (rethrown asynchronously) and does not disturb the client.
 */
export type MessageHandler = (data: string | Uint8Array, meta: MessageMeta) => void;

export interface SubscribeOptions {
  /**
   * Resume from a position kept from earlier (e.g. in sessionStorage): the first subscribe asks for
   * the updates after it. Without it the subscription starts at the topic's current position.
   */
  since?: Position;
}

/** The handle `subscribe` returns. */
export interface Subscription {
  readonly topic: string;
  /** The last position delivered (or reported by the bridge); `null` until the first one. */
  readonly position: Position | null;
  /** False once unsubscribed, or when the bridge refused the subscription (see the `error` event). */
  readonly active: boolean;
  /** Same as `client.unsubscribe(topic)`, but does nothing if this subscription is no longer the topic's. */
  unsubscribe(): void;
}

/** Error codes the client makes itself; all others are the bridge's error envelope codes. */
export type ClientErrorCode =
  /** The client was not open (connecting, or waiting to reconnect); nothing was sent. Safe to retry. */
  | "not_connected"
  /** The connection dropped after the request was sent and before its answer: it may or may not have taken effect. */
  | "disconnected"
  /** `close()` was called. */
  | "closed"
  /** No answer within `publishTimeout`; it may or may not have taken effect. A late answer is ignored. */
  | "timeout"
  /** A topic name that breaks the topic rules (checked before sending). */
  | "invalid_topic"
  /** `subscribe` to a topic this client already has a subscription for. */
  | "already_subscribed"
  /** The bridge sent something that is not a JSON envelope. */
  | "invalid_message";

/** The bridge's error codes (docs/protocol.md, "Errors"). */
export type BridgeErrorCode =
  | "invalid_json"
  | "unknown_type"
  | "missing_field"
  | "invalid_field"
  | "invalid_topic"
  | "already_subscribed"
  | "not_subscribed"
  | "too_many_subscriptions"
  | "no_listener"
  | "payload_too_large";

/** An error with a stable, machine-readable `code`; `message` is for humans. */
export declare class BridgeError extends Error {
  constructor(code: string, message?: string);
  readonly name: "BridgeError";
  code: ClientErrorCode | BridgeErrorCode | (string & {});
  /** For errors of a subscribe or unsubscribe request: its topic. */
  topic?: string;
}

export interface ClientEvents {
  /** A connection attempt starts; `attempt` counts from 1 since the last successful open. */
  connecting: (detail: { attempt: number }) => void;
  /** The bridge welcomed the connection; subscriptions have been sent again (with their positions). */
  open: (detail: { connectionId: string }) => void;
  /**
   * The connection closed or could not be made. `delay` (ms) is when the next attempt starts, when
   * `willReconnect`. Pending requests have been rejected with `"disconnected"` (or `"closed"`).
   */
  closed: (detail: { code: number; reason: string; willReconnect: boolean; delay: number | undefined }) => void;
  /**
   * Updates of `topic` were lost: the bridge could not replay them (other epoch, beyond its history)
   * or a gap appeared that `skipped` does not explain. The position is the new current one; reload
   * the topic's state from its source of truth. Updates keep arriving after it.
   */
  unrecovered: (detail: Position & { topic: string }) => void;
  /**
   * An error envelope that answers no pending promise (e.g. a refused subscribe, whose subscription
   * is then inactive), or an unreadable message from the bridge. Without listeners it is logged
   * with `console.warn`.
   */
  error: (error: BridgeError) => void;
  /** Updates of topics that have no handler: the broadcast topic `""`, and URL topics nobody subscribed to. */
  message: (data: string | Uint8Array, meta: MessageMeta) => void;
}

export declare class BridgeClient {
  /** Use `connect()`. */
  constructor(url: string | URL, options?: ConnectOptions);

  /** `"connecting"` until the bridge's welcome, then `"open"`; `"closed"` between attempts and after `close()`. */
  readonly state: ConnectionState;
  /** The current (or last) connection's id from its welcome, as backends see it; `undefined` before the first. */
  readonly connectionId: string | undefined;
  /** The resolved WebSocket URL. */
  readonly url: string;

  /**
   * Subscribes to a topic; while not open, it is recorded and sent once the connection opens. After
   * every reconnect it is resumed from the last position seen. One subscription per topic: a second
   * `subscribe` to the same topic throws a `BridgeError` with code `"already_subscribed"`.
   * `""` (the broadcast topic) may be subscribed to, to track and resume it.
   * @throws BridgeError `invalid_topic` for a name that breaks the topic rules.
   */
  subscribe(topic: string, onMessage: MessageHandler, options?: SubscribeOptions): Subscription;

  /**
   * Ends the topic's subscription; nothing more of it reaches its handler.
   * @returns false when there was no subscription to the topic.
   */
  unsubscribe(topic: string): boolean;

  /**
   * Sends a message to the backends that listen to `topic` (a `ClientMessage` on their stream).
   * A string is sent as text; an `ArrayBuffer` or typed array as binary (base64 on the wire).
   * Resolves when the bridge handed it to at least one backend stream; rejects with a
   * {@link BridgeError} whose `code` is the bridge's (e.g. `"no_listener"`, `"payload_too_large"`) or
   * the client's (`"not_connected"`, `"disconnected"`, `"closed"`, `"timeout"`). Never resent by the
   * client: at most once.
   */
  publish(topic: string, data: string | ArrayBuffer | ArrayBufferView): Promise<void>;

  /** Round trip to the bridge, in ms. Rejects like `publish` when not connected or on a drop. */
  ping(): Promise<number>;

  /** Closes the connection for good: no more reconnects; pending requests reject with `"closed"`. */
  close(): void;

  /** Adds an event listener; returns a function that removes it. */
  on<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): () => void;
  /** Removes an event listener. */
  off<E extends keyof ClientEvents>(event: E, handler: ClientEvents[E]): void;
}
