/** Test identities made with openssl in a temp dir. */

/** Writes `<file>.crt`/`<file>.key`: a self-signed P-256 certificate for `cn` (also the SAN). */
export async function makeIdentity(
  dir: string,
  file: string,
  cn: string,
): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${dir}/${file}.key`,
      "-out",
      `${dir}/${file}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      `subjectAltName=DNS:${cn}`,
      "-addext",
      "basicConstraints=critical,CA:FALSE",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/**
 * Writes `<file>.crt` as a chain (leaf for `cn`, then its issuing CA) and `<file>.key`;
 * returns the CA certificate (PEM) for clients to trust.
 */
export async function makeChainIdentity(
  dir: string,
  file: string,
  cn: string,
): Promise<string> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  const ca = `${dir}/${file}.ca`;
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-nodes",
    "-keyout",
    `${ca}.key`,
    "-out",
    `${ca}.crt`,
    "-days",
    "2",
    "-subj",
    "/CN=Test CA",
  ]);
  await openssl([
    "req",
    "-new",
    ...ec,
    "-nodes",
    "-keyout",
    `${dir}/${file}.key`,
    "-out",
    `${ca}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  const ext = `${ca}.ext`;
  await Deno.writeTextFile(
    ext,
    `subjectAltName=DNS:${cn}\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    `${ca}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${ca}.leaf`,
    "-days",
    "2",
    "-extfile",
    ext,
  ]);
  const caPem = await Deno.readTextFile(`${ca}.crt`);
  await Deno.writeTextFile(
    `${dir}/${file}.crt`,
    (await Deno.readTextFile(`${ca}.leaf`)) + caPem,
  );
  return caPem;
}

/** A temp dir with `a.example.com`, `_.example.com` (for `*.example.com`) and `default`. */
export async function makeIdentitiesDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "condure_tls_" });
  await Promise.all([
    makeIdentity(dir, "a.example.com", "a.example.com"),
    makeIdentity(dir, "_.example.com", "*.example.com"),
    makeIdentity(dir, "default", "default.test"),
  ]);
  return dir;
}

/** Sets both files' mtime to `secondsAhead` from now. */
export async function bumpMtime(
  dir: string,
  file: string,
  secondsAhead: number,
): Promise<void> {
  const t = Date.now() / 1000 + secondsAhead;
  await Deno.utime(`${dir}/${file}.crt`, t, t);
  await Deno.utime(`${dir}/${file}.key`, t, t);
}
