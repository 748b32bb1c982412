/** TLS test clients: node:tls (certificate inspection) and openssl s_client (versions). */

import tls from "node:tls";

/** What a client saw of a completed handshake. */
export interface Seen {
  /** Subject CN of the server certificate. */
  cn: string;
  /** Negotiated ALPN protocol, or false. */
  alpn: string | false;
  /** "TLSv1.2" / "TLSv1.3". */
  protocol: string | null;
}

/** Connects with `servername` (SNI; "" = none), trusting `ca`; returns the open socket. */
export function connect(
  port: number,
  options: { servername: string; ca?: string; alpn?: string[] },
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ...(options.servername === "" ? {} : { servername: options.servername }),
      ...(options.ca === undefined
        ? { rejectUnauthorized: false }
        : { ca: options.ca }),
      ALPNProtocols: options.alpn ?? ["http/1.1"],
      checkServerIdentity: () => undefined,
    });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", (e) => {
      socket.destroy();
      reject(e);
    });
  });
}

/** Handshakes, records what was seen, closes. */
export async function handshake(
  port: number,
  servername: string,
): Promise<Seen> {
  const socket = await connect(port, { servername });
  const cert = socket.getPeerCertificate();
  const seen: Seen = {
    cn: String(cert.subject?.CN ?? ""),
    alpn: socket.alpnProtocol ?? false,
    protocol: socket.getProtocol(),
  };
  await closeSocket(socket);
  return seen;
}

/** Destroys `socket` and waits for its close. */
export function closeSocket(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) return resolve();
    socket.once("close", () => resolve());
    socket.destroy();
  });
}

/** Runs `openssl s_client` with `args`; returns its combined output and whether it shook hands. */
export async function sClient(
  port: number,
  args: string[],
): Promise<{ ok: boolean; output: string }> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  const dec = new TextDecoder();
  const output = dec.decode(out.stdout) + dec.decode(out.stderr);
  return { ok: /Cipher is (?!\(NONE\))/.test(output), output };
}
