/**
 * Locates a JSON syntax error as line and column. V8 and JavaScriptCore word
 * (and place) JSON.parse errors differently, so orch scans the text itself,
 * only after JSON.parse has failed.
 */
export interface JsonErrorAt {
  line: number;
  column: number;
  message: string;
}

class Fail extends Error {
  constructor(readonly pos: number, message: string) {
    super(message);
  }
}

/** Returns where and why `text` is not valid JSON, or undefined when it is. */
export function findJsonError(text: string): JsonErrorAt | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const expect = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else throw new Fail(i, `unexpected ${describe(i)}`);
  };
  const describe = (at: number) => at >= text.length ? "end of file" : `character ${JSON.stringify(text[at])}`;
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) throw new Fail(i, "control character in string");
      if (text[i] === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Fail(i, "bad \\u escape in string");
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Fail(i, "bad escape in string");
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= text.length) throw new Fail(i, "unterminated string");
    i++;
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === "-") throw new Fail(i, `unexpected ${describe(i)}`);
    i += m[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Fail(i, `expected a quoted key, found ${describe(i)}`);
        str();
        ws();
        if (text[i] !== ":") throw new Fail(i, `expected ':' after key, found ${describe(i)}`);
        i++;
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "}") throw new Fail(i, "trailing comma before '}'");
          continue;
        }
        if (text[i] === "}") return void i++;
        throw new Fail(i, `expected ',' or '}', found ${describe(i)}`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") {
          i++;
          ws();
          if (text[i] === "]") throw new Fail(i, "trailing comma before ']'");
          continue;
        }
        if (text[i] === "]") return void i++;
        throw new Fail(i, `expected ',' or ']', found ${describe(i)}`);
      }
    }
    if (c === '"') return str();
    if (c === "t") return expect("true");
    if (c === "f") return expect("false");
    if (c === "n") return expect("null");
    return num();
  };
  try {
    value();
    ws();
    if (i < text.length) throw new Fail(i, `unexpected ${describe(i)} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    const before = text.slice(0, err.pos);
    const line = before.split("\n").length;
    const column = err.pos - before.lastIndexOf("\n");
    return { line, column, message: err.message };
  }
}
