/** Bearer tokens: a run's token for the shim, `orch serve --http`'s token when none is given. */

/** `bytes` random bytes as base64url without padding (safe in a header, a URL and a shell word). */
export function randomToken(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  let binary = "";
  for (const b of raw) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
