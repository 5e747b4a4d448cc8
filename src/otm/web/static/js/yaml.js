// A reader for the YAML of plant files, so that an engineer can upload the file that
// `otm plant export` (or GET /api/v1/plant) wrote, and the console sends it as JSON.
//
// It reads one document of block mappings and sequences ("key: value", "- item"),
// flow collections ([a, b], {k: v}, over several lines too), plain, single- and
// double-quoted scalars (folded over lines, with YAML's escapes) and comments.
// Plain scalars are resolved as PyYAML's SafeLoader resolves them (YAML 1.1: yes/no/on/
// off are booleans, 0755 is octal, 1:30 is 90), so a file means here what it means to
// `otm plant load`.  Duplicate keys are errors, as there.  Refused, with the line:
// anchors, aliases, tags, block scalars (| and >), complex keys, merge keys (<<),
// several documents, directives, tabs in indentation, .inf and .nan (not JSON).
// Dates stay text (PyYAML would make them dates, which no plant field holds).

export class YamlError extends Error {
  constructor(line, message) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const ESCAPES = { 0: "\0", a: "\x07", b: "\b", t: "\t", "\t": "\t", n: "\n", v: "\v", f: "\f", r: "\r", e: "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", N: "\x85", _: "\xa0", L: "\u2028", P: "\u2029" };
const HEX_ESCAPES = { x: 2, u: 4, U: 8 };

function sexagesimal(text) {
  let value = 0;
  for (const part of text.split(":")) value = value * 60 + Number(part);
  return value;
}

/** A plain scalar's value, as PyYAML's SafeLoader resolves it. */
export function resolvePlain(text, line) {
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return TRUE.test(text);
  if (INT.test(text)) {
    let body = text.replace(/_/g, "");
    let sign = 1;
    if (body[0] === "-" || body[0] === "+") {
      if (body[0] === "-") sign = -1;
      body = body.slice(1);
    }
    if (body === "0") return 0;
    if (body.startsWith("0b")) return sign * parseInt(body.slice(2), 2);
    if (body.startsWith("0x")) return sign * parseInt(body.slice(2), 16);
    if (body[0] === "0") return sign * parseInt(body, 8);
    if (body.includes(":")) return sign * sexagesimal(body);
    return sign * Number(body);
  }
  if (FLOAT.test(text)) {
    let body = text.replace(/_/g, "").toLowerCase();
    if (body.includes("inf") || body.includes("nan")) throw new YamlError(line, `${text} is not a number JSON can carry`);
    let sign = 1;
    if (body[0] === "-" || body[0] === "+") {
      if (body[0] === "-") sign = -1;
      body = body.slice(1);
    }
    return sign * (body.includes(":") ? sexagesimal(body) : Number(body.endsWith(".") ? body.slice(0, -1) : body));
  }
  if (text === "<<") throw new YamlError(line, "merge keys (<<) are not supported");
  if (/^[@`]/.test(text)) throw new YamlError(line, `a plain value cannot start with ${text[0]}: put it in quotes`);
  return text;
}

/** A plain key as JSON names it: resolved like a value (yes is true), then as text. */
function keyText(text, line) {
  return String(resolvePlain(text, line));
}

/** The text before a comment (" #" or a leading "#") of a plain line. */
function uncomment(text) {
  for (let j = 0; j < text.length; j++) {
    if (text[j] === "#" && (j === 0 || text[j - 1] === " " || text[j - 1] === "\t")) return text.slice(0, j);
  }
  return text;
}

function isEntry(content) {
  return content === "-" || content.startsWith("- ") || content.startsWith("-\t");
}

function refuseSpecial(text, line) {
  const c = text[0];
  if (c === "&" || c === "*" || c === "!") throw new YamlError(line, "anchors, aliases and tags are not supported");
  if (c === "|" || c === ">") throw new YamlError(line, "block scalars (| and >) are not supported: put the text in quotes");
  if (c === "?" && (text.length === 1 || text[1] === " ")) throw new YamlError(line, "complex keys (?) are not supported");
  if (c === "%") throw new YamlError(line, "directives are not supported");
}

class Reader {
  constructor(text) {
    this.lines = text.replace(/^\ufeff/, "").replace(/\r\n?/g, "\n").split("\n");
    this.i = 0;
  }

  get n() {
    return this.lines.length;
  }

  lineNo(i = this.i) {
    return i + 1;
  }

  indent(i = this.i) {
    const line = this.lines[i];
    let k = 0;
    while (line[k] === " ") k++;
    if (line[k] === "\t" && line.trim() !== "") throw new YamlError(this.lineNo(i), "tabs cannot indent YAML: use spaces");
    return k;
  }

  blank(i = this.i) {
    const t = this.lines[i].trim();
    return t === "" || t.startsWith("#");
  }

  skip() {
    while (this.i < this.n && this.blank()) this.i++;
  }

  document() {
    this.skip();
    if (this.i < this.n && /^---(\s|$)/.test(this.lines[this.i])) {
      if (uncomment(this.lines[this.i].slice(3)).trim()) throw new YamlError(this.lineNo(), "put the document on the lines after ---");
      this.i++;
      this.skip();
    }
    if (this.i >= this.n) return null;
    if (this.lines[this.i].startsWith("%")) refuseSpecial("%", this.lineNo());
    const value = this.block(this.indent());
    this.skip();
    if (this.i < this.n) {
      const rest = this.lines[this.i];
      if (/^\.\.\.(\s|$)/.test(rest)) {
        this.i++;
        this.skip();
        if (this.i >= this.n) return value;
      }
      if (/^---(\s|$)/.test(this.lines[this.i])) throw new YamlError(this.lineNo(), "only one document is read: remove the second ---");
      throw new YamlError(this.lineNo(), "unexpected text here (check the indentation)");
    }
    return value;
  }

  /** The node whose first line is line i, indented by ``indent``. */
  block(indent) {
    const content = this.lines[this.i].slice(indent);
    if (isEntry(content)) return this.sequence(indent);
    if (this.key(content) !== null) return this.mapping(indent);
    return this.inline(content, indent - 1, indent);
  }

  /** {key, rest} when ``content`` starts with "key:", else null. */
  key(content) {
    const line = this.lineNo();
    const c = content[0];
    if (c === "[" || c === "{") return null;
    if (c === '"' || c === "'") {
      const q = this.quotedOnLine(content, 0);
      if (!q) return null;
      let j = q.end;
      while (content[j] === " ") j++;
      if (content[j] === ":" && (j + 1 === content.length || content[j + 1] === " " || content[j + 1] === "\t")) return { key: q.value, rest: content.slice(j + 1) };
      return null;
    }
    const text = uncomment(content);
    for (let j = 0; j < text.length; j++) {
      if (text[j] === ":" && (j + 1 === text.length || text[j + 1] === " " || text[j + 1] === "\t")) {
        const key = text.slice(0, j).trim();
        refuseSpecial(key, line);
        if (key === "<<") throw new YamlError(line, "merge keys (<<) are not supported");
        if (key === "") throw new YamlError(line, "a key is missing before the colon");
        return { key: keyText(key, line), rest: content.slice(j + 1) };
      }
    }
    return null;
  }

  mapping(indent) {
    const entries = new Map();
    while (true) {
      this.skip();
      if (this.i >= this.n) break;
      const ind = this.indent();
      if (ind < indent) break;
      if (ind > indent) throw new YamlError(this.lineNo(), "unexpected indentation");
      const content = this.lines[this.i].slice(indent);
      if (/^(---|\.\.\.)(\s|$)/.test(content) && indent === 0) break;
      if (isEntry(content)) throw new YamlError(this.lineNo(), "a list item where a key was expected (check the indentation)");
      const kv = this.key(content);
      if (kv === null) throw new YamlError(this.lineNo(), "expected key: value");
      if (entries.has(kv.key)) throw new YamlError(this.lineNo(), `duplicate key ${JSON.stringify(kv.key)}`);
      entries.set(kv.key, this.afterKey(kv.rest, indent));
    }
    return Object.fromEntries(entries);
  }

  afterKey(rest, indent) {
    if (uncomment(rest).trim() === "") {
      this.i++;
      this.skip();
      if (this.i < this.n) {
        const ind = this.indent();
        if (ind > indent) return this.block(ind);
        if (ind === indent && isEntry(this.lines[this.i].slice(ind))) return this.sequence(indent);
      }
      return null;
    }
    return this.inline(rest, indent, this.lines[this.i].length - rest.length);
  }

  sequence(indent) {
    const items = [];
    while (true) {
      this.skip();
      if (this.i >= this.n) break;
      const ind = this.indent();
      if (ind < indent) break;
      if (ind > indent) throw new YamlError(this.lineNo(), "unexpected indentation");
      const content = this.lines[this.i].slice(indent);
      if (!isEntry(content)) break;
      const after = content.slice(1);
      if (uncomment(after).trim() === "") {
        this.i++;
        this.skip();
        items.push(this.i < this.n && this.indent() > indent ? this.block(this.indent()) : null);
        continue;
      }
      const spaces = after.length - after.trimStart().length;
      const inner = after.slice(spaces);
      const column = indent + 1 + spaces;
      if (isEntry(inner) || this.key(inner) !== null) {
        this.lines[this.i] = " ".repeat(column) + inner;
        items.push(this.block(column));
      } else {
        items.push(this.inline(after, indent, indent + 1));
      }
    }
    return items;
  }

  /** A value starting in ``raw`` (the rest of line i from column ``column``). */
  inline(raw, parentIndent, column) {
    const line = this.lineNo();
    const text = raw.trimStart();
    const start = column + (raw.length - text.length);
    refuseSpecial(text, line);
    if (text[0] === "[" || text[0] === "{") return this.flow(start);
    if (text[0] === '"' || text[0] === "'") return this.quoted(start);
    if (isEntry(text)) throw new YamlError(line, "a list cannot start after a key on the same line: put its items on the next lines");
    return this.plain(uncomment(text).trim(), parentIndent);
  }

  plain(first, parentIndent) {
    const line = this.lineNo();
    const parts = [first];
    let j = this.i + 1;
    let empty = 0;
    while (j < this.n) {
      const t = this.lines[j].trim();
      if (t === "") {
        empty++;
        j++;
        continue;
      }
      if (t.startsWith("#") || this.indent(j) <= parentIndent) break;
      const more = uncomment(t).trim();
      parts.push(empty ? "\n".repeat(empty) : " ");
      parts.push(more);
      empty = 0;
      this.i = j;
      j++;
      if (more !== t) break;
    }
    this.i++;
    const value = parts.join("").replace(/ ?\n+ ?/g, (m) => m.trim());
    if (/:(\s|$)/.test(value)) throw new YamlError(line, "a value holds \": \": put it in quotes (or check the indentation)");
    if (parts.length === 1) return resolvePlain(value, line);
    return value;
  }

  /** A quoted scalar on one line from ``pos``: {value, end} or null if unterminated. */
  quotedOnLine(text, pos) {
    const q = text[pos];
    let out = "";
    let k = pos + 1;
    while (k < text.length) {
      const c = text[k];
      if (q === "'") {
        if (c === "'") {
          if (text[k + 1] === "'") {
            out += "'";
            k += 2;
            continue;
          }
          return { value: out, end: k + 1 };
        }
        out += c;
        k++;
      } else {
        if (c === '"') return { value: out, end: k + 1 };
        if (c === "\\") {
          if (k + 1 >= text.length) return null;
          const [piece, used] = this.escape(text, k);
          out += piece;
          k += used;
          continue;
        }
        out += c;
        k++;
      }
    }
    return null;
  }

  escape(text, k) {
    const e = text[k + 1];
    if (e in ESCAPES) return [ESCAPES[e], 2];
    if (e in HEX_ESCAPES) {
      const digits = text.slice(k + 2, k + 2 + HEX_ESCAPES[e]);
      if (digits.length !== HEX_ESCAPES[e] || !/^[0-9a-fA-F]+$/.test(digits)) throw new YamlError(this.lineNo(), `bad escape \\${e}${digits}`);
      return [String.fromCodePoint(parseInt(digits, 16)), 2 + HEX_ESCAPES[e]];
    }
    throw new YamlError(this.lineNo(), `unknown escape \\${e}`);
  }

  /** A quoted scalar starting at column ``pos`` of line i, maybe over several lines (folded). */
  quoted(pos) {
    const first = this.lineNo();
    let text = this.lines[this.i];
    const q = text[pos];
    let out = "";
    let k = pos + 1;
    while (true) {
      let joined = false;
      while (k < text.length) {
        const c = text[k];
        if (c === q) {
          if (q === "'" && text[k + 1] === "'") {
            out += "'";
            k += 2;
            continue;
          }
          const after = uncomment(text.slice(k + 1));
          if (after.trim()) throw new YamlError(this.lineNo(), "unexpected text after the closing quote");
          this.i++;
          return out;
        }
        if (q === '"' && c === "\\") {
          if (k + 1 >= text.length) {
            joined = true;
            k++;
            break;
          }
          const [piece, used] = this.escape(text, k);
          out += piece;
          k += used;
          continue;
        }
        out += c;
        k++;
      }
      // The line ends inside the quotes: fold the break (YAML 1.1 §7.3).
      if (!joined) out = out.replace(/[ \t]+$/, "");
      this.i++;
      let empty = 0;
      while (this.i < this.n && this.lines[this.i].trim() === "") {
        empty++;
        this.i++;
      }
      if (this.i >= this.n) throw new YamlError(first, "the quoted text is never closed");
      out += empty ? "\n".repeat(empty) : joined ? "" : " ";
      text = this.lines[this.i];
      k = text.length - text.trimStart().length;
    }
  }

  /** A flow collection starting at column ``pos`` of line i, over as many lines as it takes. */
  flow(pos) {
    const startLine = this.i;
    const stripped = [];
    let quote = null;
    for (let j = this.i; j < this.n; j++) {
      const source = j === this.i ? " ".repeat(pos) + this.lines[j].slice(pos) : this.lines[j];
      let cut = source.length;
      for (let k = j === this.i ? pos : 0; k < source.length; k++) {
        const c = source[k];
        if (quote) {
          if (quote === '"' && c === "\\") k++;
          else if (c === quote) {
            if (quote === "'" && source[k + 1] === "'") k++;
            else quote = null;
          }
        } else if (c === '"' || c === "'") {
          // A quote opens quoted text only where a scalar starts (it's is plain text).
          const before = source.slice(0, k).trimEnd();
          if (!before || "[{,:".includes(before[before.length - 1])) quote = c;
        } else if (c === "#" && (k === 0 || source[k - 1] === " " || source[k - 1] === "\t")) {
          cut = k;
          break;
        }
      }
      stripped.push(source.slice(0, cut));
    }
    const text = stripped.join("\n");
    const parser = new FlowParser(text, pos, (offset) => startLine + 1 + (text.slice(0, offset).match(/\n/g) || []).length);
    const value = parser.node();
    const endLine = startLine + (text.slice(0, parser.pos).match(/\n/g) || []).length;
    const rest = text.slice(parser.pos).split("\n", 1)[0];
    if (rest.trim()) throw new YamlError(endLine + 1, `unexpected text after the closing bracket: ${rest.trim()}`);
    this.i = endLine + 1;
    return value;
  }
}

class FlowParser {
  constructor(text, pos, lineAt) {
    this.text = text;
    this.pos = pos;
    this.lineAt = lineAt;
  }

  fail(message) {
    throw new YamlError(this.lineAt(this.pos), message);
  }

  space() {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  node() {
    this.space();
    const c = this.text[this.pos];
    if (c === undefined) this.fail("the bracket is never closed");
    if (c === "[") return this.sequence();
    if (c === "{") return this.mapping();
    if (c === '"' || c === "'") return this.quoted();
    refuseSpecial(this.text.slice(this.pos), this.lineAt(this.pos));
    return this.plain();
  }

  sequence() {
    this.pos++;
    const items = [];
    while (true) {
      this.space();
      if (this.text[this.pos] === "]") {
        this.pos++;
        return items;
      }
      items.push(this.node());
      this.space();
      const c = this.text[this.pos];
      if (c === ":") this.fail("key: value pairs inside [ ] are not supported: use { }");
      if (c === ",") this.pos++;
      else if (c !== "]") this.fail(c === undefined ? "the bracket is never closed" : `expected , or ] but found ${c}`);
    }
  }

  mapping() {
    this.pos++;
    const entries = new Map();
    while (true) {
      this.space();
      if (this.text[this.pos] === "}") {
        this.pos++;
        return Object.fromEntries(entries);
      }
      const at = this.pos;
      const c0 = this.text[this.pos];
      if (c0 === "[" || c0 === "{") this.fail("complex keys are not supported");
      const key = c0 === '"' || c0 === "'" ? this.quoted() : this.plain(true);
      const name = key === null ? "null" : String(key);
      if (entries.has(name)) throw new YamlError(this.lineAt(at), `duplicate key ${JSON.stringify(name)}`);
      this.space();
      let value = null;
      if (this.text[this.pos] === ":") {
        this.pos++;
        this.space();
        const c = this.text[this.pos];
        if (c !== "," && c !== "}") value = this.node();
      }
      entries.set(name, value);
      this.space();
      const c = this.text[this.pos];
      if (c === ",") this.pos++;
      else if (c !== "}") this.fail(c === undefined ? "the brace is never closed" : `expected , or } but found ${c}`);
    }
  }

  quoted() {
    const q = this.text[this.pos];
    const at = this.pos;
    let out = "";
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === q) {
        if (q === "'" && this.text[this.pos + 1] === "'") {
          out += "'";
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      if (c === "\n") {
        // A line break inside quotes folds to a space (a blank line to a line break).
        out = out.replace(/[ \t]+$/, "");
        let breaks = 0;
        while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) {
          if (this.text[this.pos] === "\n") breaks++;
          this.pos++;
        }
        out += breaks > 1 ? "\n".repeat(breaks - 1) : " ";
        continue;
      }
      if (q === '"' && c === "\\") {
        const e = this.text[this.pos + 1];
        if (e === "\n") {
          // An escaped line break joins the lines without a space.
          this.pos += 2;
          while (this.text[this.pos] === " " || this.text[this.pos] === "\t") this.pos++;
          continue;
        }
        if (e in ESCAPES) {
          out += ESCAPES[e];
          this.pos += 2;
          continue;
        }
        if (e in HEX_ESCAPES) {
          const digits = this.text.slice(this.pos + 2, this.pos + 2 + HEX_ESCAPES[e]);
          if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== HEX_ESCAPES[e]) this.fail(`bad escape \\${e}${digits}`);
          out += String.fromCodePoint(parseInt(digits, 16));
          this.pos += 2 + HEX_ESCAPES[e];
          continue;
        }
        this.fail(`unknown escape \\${e}`);
      }
      out += c;
      this.pos++;
    }
    throw new YamlError(this.lineAt(at), "the quoted text is never closed");
  }

  plain(isKey = false) {
    const at = this.pos;
    let k = this.pos;
    while (k < this.text.length) {
      const c = this.text[k];
      if (c === "," || c === "[" || c === "]" || c === "{" || c === "}") break;
      if (c === ":" && (k + 1 >= this.text.length || /[\s,[\]{}]/.test(this.text[k + 1]))) break;
      k++;
    }
    const raw = this.text.slice(this.pos, k).replace(/\s*\n\s*/g, " ").trim();
    this.pos = k;
    if (!raw && !isKey) this.fail("a value is missing");
    return isKey ? keyText(raw, this.lineAt(at)) : resolvePlain(raw, this.lineAt(at));
  }
}

/** The value of a one-document YAML text (see the module comment); YamlError if unsupported. */
export function parseYaml(text) {
  return new Reader(text).document();
}
