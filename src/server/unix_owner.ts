/**
 * Ownership of Unix-socket listeners: the `user=` and `group=` listen params (as Condure 1.10
 * and Pushpin's `local_ports` pass them) name an owner for the socket file. Names are looked up
 * in `/etc/passwd` and `/etc/group` (numeric ids are taken as they are), since Deno has no
 * `getpwnam`.
 *
 * @module
 */

/**
 * Finds the numeric id of `name` in a passwd- or group-format file's text (`name:x:id:…`).
 *
 * @example
 * ```ts
 * import { lookupId } from "./unix_owner.ts";
 * if (lookupId("root:x:0:0::/root:/bin/sh\nwww:x:33:33::/:/bin/false\n", "www") !== 33) {
 *   throw new Error();
 * }
 * ```
 */
export function lookupId(fileText: string, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of fileText.split("\n")) {
    const fields = line.split(":");
    if (
      fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2])
    ) {
      return Number(fields[2]);
    }
  }
  return undefined;
}

function readOrEmpty(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/**
 * Applies `user`/`group` to the socket file at `path`; throws `Error` with Condure's wording when
 * a name is unknown or the change is refused.
 *
 * @example
 * ```ts ignore
 * chownSocket("/run/app.sock", { user: "www-data" });
 * ```
 */
export function chownSocket(
  path: string,
  owner: { user?: string; group?: string },
): void {
  if (owner.user === undefined && owner.group === undefined) return;
  let uid: number | null = null;
  let gid: number | null = null;
  if (owner.user !== undefined) {
    const id = lookupId(readOrEmpty("/etc/passwd"), owner.user);
    if (id === undefined) {
      throw new Error(`failed to set user: unknown user ${owner.user}`);
    }
    uid = id;
  }
  if (owner.group !== undefined) {
    const id = lookupId(readOrEmpty("/etc/group"), owner.group);
    if (id === undefined) {
      throw new Error(`failed to set group: unknown group ${owner.group}`);
    }
    gid = id;
  }
  Deno.chownSync(path, uid, gid);
}
