/**
 * The DNS-rebinding check both of orch's HTTP faces make (the shim on TCP, `orch serve --http`):
 * the host part of a Host or Origin header, and which of the two names a host the face refuses.
 * Each face says which hosts it accepts and words its own refusal.
 */

/** Names of this machine's loopback interface: localhost, 127.x.y.z, [::1]. */
export const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** `host[:port]` without the port, lower case; IPv6 literals keep their brackets; odd text as it is. */
export function hostOnly(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d{1,5})?$/.exec(host);
  return (m?.[1] ?? host).toLowerCase();
}

/** The host of an http(s) Origin, or "" for anything else ("null", another scheme, not a URL). */
export function originHost(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === "http:" || url.protocol === "https:" ? hostOnly(url.host) : "";
  } catch {
    return "";
  }
}

/** The header a face refuses (`Host` before `Origin`), or undefined when both are allowed. */
export function refusedHeader(
  host: string,
  origin: string | null,
  allowHost: (host: string) => boolean,
  allowOrigin: (host: string) => boolean,
): "Host" | "Origin" | undefined {
  if (!allowHost(hostOnly(host))) return "Host";
  if (origin !== null && !allowOrigin(originHost(origin))) return "Origin";
  return undefined;
}
