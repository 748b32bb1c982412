/**
 * The WebSocket upgrade hand-off (reference §7.1, §7.2): a stream-mode connection that read an
 * upgrade request head passes its read buffer to a new {@linkcode WebSocketSession}, which
 * sends the request packet and owns the connection from then on.
 *
 * @module
 */

import { HttpError, type RequestHead, URI_SIZE_MAX } from "../http1/mod.ts";
import type { ClientIo, PacketSink, PeerInfo, SessionHost } from "./host.ts";
import type { ReadBuffer } from "./read_buffer.ts";
import { requestUri } from "./request_uri.ts";
import {
  MESSAGES_MAX_DEFAULT,
  type WebSocketConfig,
  WebSocketSession,
} from "./websocket.ts";
import { validateUpgrade } from "./ws_handshake.ts";

/** Options of {@linkcode upgradeToWebSocket}. */
export interface WebSocketUpgradeOptions {
  /** The session id of the request. */
  id: string;
  /** The upgrade request head. */
  head: RequestHead;
  /** What the id is registered to with the host (the connection). */
  sink: PacketSink;
  /** `wss` URIs (TLS listener) rather than `ws`. */
  secure: boolean;
  /** Where the client is. */
  peer: PeerInfo;
  /** `--compression` and `--messages-max` (default: none, 100). */
  config: WebSocketConfig | undefined;
  /** The connection's read buffer, handed over with its unread bytes. */
  readBuffer: ReadBuffer;
  /** The session-timeout deadline running for this request cycle. */
  sessionDeadline: number;
  /** Called when the session's next deadline moved sooner. */
  onWake?: () => void;
}

/**
 * Validates an upgrade request and starts its WebSocket session (request packet sent, client
 * reading stopped until the handler answers); or the error to answer the client with.
 *
 * @example
 * ```ts ignore
 * const ws = upgradeToWebSocket(host, io, { id, head, sink, secure, peer, config, readBuffer, sessionDeadline });
 * if (ws instanceof HttpError) reject(ws.status, ws.message);
 * ```
 */
export function upgradeToWebSocket(
  host: SessionHost,
  io: ClientIo,
  options: WebSocketUpgradeOptions,
): WebSocketSession | HttpError {
  const { id, head, config, peer } = options;
  let upgrade;
  try {
    upgrade = validateUpgrade(head, {
      compression: config?.compression ?? false,
    });
  } catch (e) {
    if (e instanceof HttpError) {
      host.logger.debug(`conn ${id}: process error: ${e.message}`);
      return e;
    }
    throw e;
  }
  const uri = requestUri(head, options.secure ? "wss" : "ws");
  if (uri.length > URI_SIZE_MAX) {
    return new HttpError(414, "Request URI too long.");
  }
  if (host.logger.debugEnabled) {
    host.logger.debug(`conn ${id}: request: ${head.method} ${uri}`);
  }
  host.register(id, options.sink);
  const rb = options.readBuffer;
  const ws = new WebSocketSession(host, io, {
    id,
    buffer: rb.buffer,
    start: rb.start,
    end: rb.end,
    ...(rb.slot !== null ? { slot: rb.slot } : {}),
    readPool: rb.pool,
    versionMinor: head.versionMinor,
    upgrade,
    messagesMax: config?.messagesMax ?? MESSAGES_MAX_DEFAULT,
    sessionDeadline: options.sessionDeadline,
    ...(options.onWake !== undefined ? { onWake: options.onWake } : {}),
  });
  ws.start({
    method: head.method,
    uri,
    headers: head.headers,
    ...(peer.address !== undefined
      ? { peerAddress: peer.address, peerPort: peer.port ?? 0 }
      : {}),
  });
  io.setReading(false);
  return ws;
}
