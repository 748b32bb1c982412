/**
 * The few socket calls that `Deno.listenTls` does not offer, made through libc by FFI on
 * the kernel's file descriptors (Linux only): Deno never exposes a connection's fd, so a
 * socket is found by scanning the process's descriptors for its address pair.
 *
 * - {@linkcode tuneListeners}: TCP_NODELAY and SO_KEEPALIVE on a listening socket, which
 *   Linux copies into every connection it accepts (`Deno.TlsConn` has no `setNoDelay`).
 * - {@linkcode shutdownConnections}: `shutdown(SHUT_RDWR)` of connections whose TLS
 *   handshake overran its deadline. Closing a `Deno.TlsConn` mid-handshake does not close
 *   its TCP socket (the handshake task keeps it until the peer sends or leaves), so a
 *   silent client would pin a descriptor for ever; after the shutdown the task fails and
 *   the socket is closed.
 *
 * libc is opened when this module is first evaluated (so test resource sanitizers see it
 * as pre-existing); without it (other systems, no `--allow-ffi`) both calls do nothing and
 * report 0.
 *
 * @module
 */

const SYMBOLS = {
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

function openLibc(): Libc | null {
  if (Deno.build.os !== "linux") return null;
  try {
    return Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch {
    return null;
  }
}

const libc: Libc | null = openLibc();

const AF_INET = 2;
const AF_INET6 = 10;
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const SO_ACCEPTCONN = 30;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const SHUT_RDWR = 2;
const RLIMIT_NOFILE = 7;
/** Highest descriptor count scanned, whatever the limit says. */
const SCAN_MAX = 1 << 20;

const addrBuf = new Uint8Array(128);
const addrView = new DataView(addrBuf.buffer);
const lenBuf = new Uint32Array(1);
const lenBytes = new Uint8Array(lenBuf.buffer);
const intBuf = new Int32Array(1);
const intBytes = new Uint8Array(intBuf.buffer);

/**
 * Whether the libc calls are available here (Linux with `--allow-ffi`).
 *
 * @example
 * ```ts
 * import { socketCallsAvailable } from "./socket_fd.ts";
 * if (Deno.build.os !== "linux" && socketCallsAvailable()) throw new Error();
 * ```
 */
export function socketCallsAvailable(): boolean {
  return libc !== null;
}

/**
 * A key for an IP address and port: the address as 16 bytes (IPv4 as `::ffff:a.b.c.d`)
 * in hex, then the port; `null` for a hostname that is not an IP literal.
 *
 * @example
 * ```ts
 * import { addressKey } from "./socket_fd.ts";
 * if (addressKey("127.0.0.1", 80) !== addressKey("::ffff:127.0.0.1", 80)) throw new Error();
 * ```
 */
export function addressKey(hostname: string, port: number): string | null {
  const bytes = parseIp(hostname);
  return bytes === null ? null : `${hex(bytes)}/${port}`;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function parseIp(text: string): Uint8Array | null {
  const host = text.startsWith("[") && text.endsWith("]")
    ? text.slice(1, -1)
    : text;
  const out = new Uint8Array(16);
  const v4 = parseIpv4(host);
  if (v4 !== null) {
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  const zone = host.indexOf("%");
  const halves = (zone < 0 ? host : host.slice(0, zone)).split("::");
  if (halves.length > 2) return null;
  const head = ipv6Words(halves[0] ?? "");
  const tail = ipv6Words(halves[1] ?? "");
  if (head === null || tail === null) return null;
  const gap = 8 - head.length - tail.length;
  if (halves.length === 1 ? gap !== 0 : gap < 1) return null;
  const words = [...head, ...new Array<number>(gap).fill(0), ...tail];
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** The 16-bit words of one side of `::` (a trailing dotted quad is two words). */
function ipv6Words(side: string): number[] | null {
  if (side === "") return [];
  const parts = side.split(":");
  const words: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      const q = parseIpv4(part);
      if (q === null) return null;
      words.push(
        ((q[0] ?? 0) << 8) | (q[1] ?? 0),
        ((q[2] ?? 0) << 8) | (q[3] ?? 0),
      );
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      words.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return words;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** The key of the sockaddr in `addrBuf`, or `null` for a non-IP family. */
function sockaddrKey(): string | null {
  const family = addrView.getUint16(0, true);
  const port = addrView.getUint16(2, false);
  if (family === AF_INET) {
    return `00000000000000000000ffff${hex(addrBuf.subarray(4, 8))}/${port}`;
  }
  if (family === AF_INET6) return `${hex(addrBuf.subarray(8, 24))}/${port}`;
  return null;
}

function peerKey(lib: Libc, fd: number): string | null {
  lenBuf[0] = addrBuf.length;
  if (lib.getpeername(fd, addrBuf, lenBytes) !== 0) return null;
  return sockaddrKey();
}

function localKey(lib: Libc, fd: number): string | null {
  lenBuf[0] = addrBuf.length;
  if (lib.getsockname(fd, addrBuf, lenBytes) !== 0) return null;
  return sockaddrKey();
}

function descriptorLimit(lib: Libc): number {
  const rl = new Uint8Array(16);
  if (lib.getrlimit(RLIMIT_NOFILE, rl) !== 0) return 65536;
  const soft = new DataView(rl.buffer).getBigUint64(0, true);
  return soft < BigInt(SCAN_MAX) ? Number(soft) : SCAN_MAX;
}

function setInt(lib: Libc, fd: number, level: number, name: number): boolean {
  intBuf[0] = 1;
  return lib.setsockopt(fd, level, name, intBytes, 4) === 0;
}

function isListening(lib: Libc, fd: number): boolean {
  intBuf[0] = 0;
  lenBuf[0] = 4;
  return lib.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, intBytes, lenBytes) ===
      0 && intBuf[0] === 1;
}

/**
 * Sets TCP_NODELAY and SO_KEEPALIVE on every listening socket of this process bound to
 * `addr`; connections accepted later inherit both. Returns how many were tuned.
 *
 * @example
 * ```ts
 * import { tuneListeners } from "./socket_fd.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * tuneListeners(listener.addr);
 * listener.close();
 * ```
 */
export function tuneListeners(addr: Deno.NetAddr): number {
  const lib = libc;
  const want = addressKey(addr.hostname, addr.port);
  if (lib === null || want === null) return 0;
  let tuned = 0;
  const limit = descriptorLimit(lib);
  for (let fd = 0; fd < limit; fd++) {
    if (localKey(lib, fd) !== want || !isListening(lib, fd)) continue;
    if (
      setInt(lib, fd, IPPROTO_TCP, TCP_NODELAY) &&
      setInt(lib, fd, SOL_SOCKET, SO_KEEPALIVE)
    ) tuned++;
  }
  return tuned;
}

/**
 * Reads TCP_NODELAY of the connected socket with this address pair (`null` when no such
 * socket is found). For tests.
 *
 * @example
 * ```ts ignore
 * const on = noDelayOf(conn.localAddr, conn.remoteAddr);
 * ```
 */
export function noDelayOf(
  local: Deno.NetAddr,
  remote: Deno.NetAddr,
): boolean | null {
  const lib = libc;
  if (lib === null) return null;
  const fd = findConnections(lib, [{ local, remote }])[0];
  if (fd === undefined) return null;
  intBuf[0] = 0;
  lenBuf[0] = 4;
  if (
    lib.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, intBytes, lenBytes) !== 0
  ) return null;
  return intBuf[0] !== 0;
}

/**
 * The two ends of a TCP connection, as Deno reports them.
 *
 * @example
 * ```ts ignore
 * const ends: ConnectionEnds = { local: conn.localAddr, remote: conn.remoteAddr };
 * ```
 */
export interface ConnectionEnds {
  /** Our address. */
  local: Deno.NetAddr;
  /** The peer's address. */
  remote: Deno.NetAddr;
}

function findConnections(lib: Libc, targets: ConnectionEnds[]): number[] {
  const wanted = new Map<string, string>();
  for (const t of targets) {
    const remote = addressKey(t.remote.hostname, t.remote.port);
    const local = addressKey(t.local.hostname, t.local.port);
    if (remote !== null && local !== null) wanted.set(remote, local);
  }
  const found: number[] = [];
  if (wanted.size === 0) return found;
  const limit = descriptorLimit(lib);
  for (let fd = 0; fd < limit && found.length < wanted.size; fd++) {
    const peer = peerKey(lib, fd);
    if (peer === null) continue;
    const local = wanted.get(peer);
    if (local !== undefined && localKey(lib, fd) === local) found.push(fd);
  }
  return found;
}

/**
 * Shuts down (both directions) the connected sockets with these address pairs, in one
 * scan of the descriptor table. Returns how many were found and shut down.
 *
 * @example
 * ```ts ignore
 * shutdownConnections([{ local: conn.localAddr, remote: conn.remoteAddr }]);
 * ```
 */
export function shutdownConnections(targets: ConnectionEnds[]): number {
  const lib = libc;
  if (lib === null || targets.length === 0) return 0;
  let done = 0;
  for (const fd of findConnections(lib, targets)) {
    if (lib.shutdown(fd, SHUT_RDWR) === 0) done++;
  }
  return done;
}
