/**
 * TLS for the benchmark: a self-signed `localhost` identity made with
 * `openssl` in a temp dir (used as `--tls-identities-dir`), and a look at the
 * protocol and cipher a server negotiates.
 *
 * @module
 */

import { atStopAll } from "./_proc.ts";

/** The certificate name served as `default-cert`. */
export const TLS_CERT_NAME = "localhost";

/** A TLS identities directory with `localhost.crt`/`localhost.key`. */
export interface TlsIdentities {
  /** The directory (`--tls-identities-dir`). */
  dir: string;
  /** The self-signed certificate (PEM), to trust when probing. */
  certPem: string;
  /** What the key is, for the report. */
  keyType: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(cwd === undefined ? {} : { cwd }),
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${text}`);
  }
  return text;
}

/**
 * Generates a self-signed RSA 2048 certificate for `localhost` (SAN
 * DNS:localhost and IP:127.0.0.1; not a CA, so that rustls accepts it as the
 * end entity it trusts) into a new temp dir.
 *
 * @example
 * ```ts ignore
 * const ids = await makeTlsIdentities();
 * await ids.remove();
 * ```
 */
export async function makeTlsIdentities(): Promise<TlsIdentities> {
  const dir = await Deno.makeTempDir({ prefix: "cdbench-tls-" });
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  const unregister = atStopAll(remove);
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-sha256",
    "-days",
    "2",
    "-subj",
    `/CN=${TLS_CERT_NAME}`,
    "-addext",
    `subjectAltName=DNS:${TLS_CERT_NAME},IP:127.0.0.1`,
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-keyout",
    `${TLS_CERT_NAME}.key`,
    "-out",
    `${TLS_CERT_NAME}.crt`,
  ], dir);
  return {
    dir,
    certPem: await Deno.readTextFile(`${dir}/${TLS_CERT_NAME}.crt`),
    keyType: "RSA 2048, self-signed",
    remove: async () => {
      unregister();
      await remove();
    },
  };
}

/** What a TLS handshake negotiated. */
export interface TlsSession {
  /** e.g. `TLSv1.2`. */
  protocol: string;
  /** e.g. `ECDHE-RSA-AES256-GCM-SHA384`. */
  cipher: string;
}

/**
 * Parses `openssl s_client -brief` output (its stderr); throws SyntaxError if
 * the protocol or cipher line is missing.
 *
 * @example
 * ```ts ignore
 * parseSClientBrief("Protocol version: TLSv1.3\nCiphersuite: TLS_AES_256_GCM_SHA384\n");
 * ```
 */
export function parseSClientBrief(text: string): TlsSession {
  const protocol = /^Protocol version: (\S+)/m.exec(text)?.[1];
  const cipher = /^Ciphersuite: (\S+)/m.exec(text)?.[1];
  if (protocol === undefined || cipher === undefined) {
    throw new SyntaxError(`Cannot parse openssl s_client output:\n${text}`);
  }
  return { protocol, cipher };
}

/**
 * Connects once with `openssl s_client` (OpenSSL's defaults, as wrk uses) and
 * reports the negotiated protocol and cipher.
 *
 * @example
 * ```ts ignore
 * const { protocol } = await tlsSession(8443);
 * ```
 */
export async function tlsSession(port: number): Promise<TlsSession> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-brief", "-connect", `127.0.0.1:${port}`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return parseSClientBrief(
    new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout),
  );
}
