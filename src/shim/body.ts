/** Request bodies read with a size cap, for Content-Length and chunked uploads alike. */

const decoder = new TextDecoder();

function noop(): void {}

/** The body as text, or undefined when it is (or announces itself as) longer than `maxBytes`. */
export async function readBodyText(req: Request, maxBytes: number): Promise<string | undefined> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    if (length > maxBytes) return undefined;
    // The server enforces Content-Length framing, so the body cannot outgrow it; the length check
    // below only catches a Request built in-process with a header that lies.
    if (Number.isSafeInteger(length)) {
      const text = await req.text();
      return text.length > maxBytes ? undefined : text;
    }
  }
  const body = req.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      reader.cancel().catch(noop);
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(all);
}
