// YAML text as sigs.k8s.io/yaml (go-yaml v2) writes it, so `meshloom inject` output matches `istioctl
// kube-inject` byte for byte: keys in go-yaml's natural order, block style with sequences flush under their
// key, YAML 1.1 resolution deciding when a string needs quotes, literal blocks for multi-line strings and
// folding of long scalars at 80 columns.

const BEST_WIDTH = 80;
const INDENT_STEP = 2;

// --- key order (go-yaml v2 sorter.go: letters compare as runes, digit runs compare numerically) -------------

function isLetter(ch: string): boolean {
  return /\p{L}/u.test(ch);
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]! < br[i]!;
  }
  return ar.length < br.length;
}

function sortedKeys(map: Record<string, unknown>): string[] {
  return Object.keys(map)
    .filter((key) => map[key] !== undefined)
    .sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0));
}

// --- YAML 1.1 resolution of plain scalars (go-yaml v2 resolve.go) ------------------------------------------

const RESOLVES_TO_NON_STRING = new Set([
  '', '~', 'null', 'Null', 'NULL',
  'y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE',
  'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '<<',
]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/;
const TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::\d{1,2})?))?)?$/;

/** True when go-yaml would read the plain scalar as something other than a string. */
function resolvesToNonString(text: string): boolean {
  if (RESOLVES_TO_NON_STRING.has(text)) return true;
  const first = text[0]!;
  if (!(isDigit(first) || first === '-' || first === '+' || first === '.')) return false;
  const plain = text.replaceAll('_', '');
  if (GO_INT.test(plain) || YAML_STYLE_FLOAT.test(plain)) return true;
  if (/^-?0[bB][01]+$/.test(plain)) return true;
  return TIMESTAMP.test(text);
}

// --- scalar analysis (libyaml yaml_emitter_analyze_scalar, block context) -----------------------------------

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    c === 0x85 ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

const isBreak = (ch: string | undefined): boolean =>
  ch === '\n' || ch === '\r' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029';
const isBlankOrEnd = (ch: string | undefined): boolean => ch === undefined || ch === ' ' || ch === '\t' || isBreak(ch);

function analyzeScalar(value: string): ScalarAnalysis {
  const chars = Array.from(value);
  let flowIndicators = false;
  let blockIndicators = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let lineBreaks = false;
  let special = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    flowIndicators = true;
    blockIndicators = true;
  }
  let precededByWhitespace = true;
  chars.forEach((ch, i) => {
    const followedByWhitespace = isBlankOrEnd(chars[i + 1]);
    const last = i === chars.length - 1;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (!isPrintable(ch)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankOrEnd(ch);
  });
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || special) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  void flowIndicators;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

// --- writer -------------------------------------------------------------------------------------------------

class Writer {
  private readonly parts: string[] = [];
  column = 0;

  write(text: string): void {
    this.parts.push(text);
    const newline = text.lastIndexOf('\n');
    this.column = newline >= 0 ? text.length - newline - 1 : this.column + text.length;
  }

  newline(indent: number): void {
    this.write(`\n${' '.repeat(indent)}`);
  }

  toString(): string {
    return this.parts.join('');
  }
}

const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\x0b': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u00a0': '\\_',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function escapeDoubleQuoted(ch: string): string {
  const escaped = DOUBLE_QUOTE_ESCAPES[ch];
  if (escaped) return escaped;
  if (isPrintable(ch) && ch !== '\ufeff') return ch;
  const code = ch.codePointAt(0)!;
  if (code <= 0xff) return `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
}

type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

function chooseStringStyle(value: string, simpleKey: boolean): ScalarStyle {
  const analysis = analyzeScalar(value);
  if (!simpleKey && analysis.multiline) return analysis.blockAllowed ? 'literal' : 'double';
  if (resolvesToNonString(value) || BASE60_FLOAT.test(value)) return 'double';
  if (analysis.blockPlainAllowed && !(simpleKey && analysis.multiline)) return 'plain';
  return analysis.singleQuotedAllowed ? 'single' : 'double';
}

/** Writes a scalar string starting at the writer's column; `indent` is the continuation indentation. */
function writeString(out: Writer, value: string, indent: number, simpleKey: boolean): void {
  const style = chooseStringStyle(value, simpleKey);
  const chars = Array.from(value);
  const allowBreaks = !simpleKey;
  switch (style) {
    case 'plain': {
      let spaces = false;
      chars.forEach((ch, i) => {
        if (ch === ' ') {
          if (allowBreaks && !spaces && out.column > BEST_WIDTH && chars[i + 1] !== ' ') out.newline(indent);
          else out.write(ch);
          spaces = true;
        } else {
          out.write(ch);
          spaces = false;
        }
      });
      return;
    }
    case 'single': {
      out.write("'");
      let spaces = false;
      chars.forEach((ch, i) => {
        if (ch === ' ') {
          if (allowBreaks && !spaces && out.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ') {
            out.newline(indent);
          } else out.write(ch);
          spaces = true;
        } else {
          out.write(ch === "'" ? "''" : ch);
          spaces = false;
        }
      });
      out.write("'");
      return;
    }
    case 'double': {
      out.write('"');
      let spaces = false;
      chars.forEach((ch, i) => {
        if (ch === ' ') {
          if (allowBreaks && !spaces && out.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
            out.newline(indent);
            if (chars[i + 1] === ' ') out.write('\\');
          } else out.write(ch);
          spaces = true;
        } else {
          out.write(escapeDoubleQuoted(ch));
          spaces = false;
        }
      });
      out.write('"');
      return;
    }
    case 'literal': {
      const chomp = !value.endsWith('\n') ? '-' : value.endsWith('\n\n') || value === '\n' ? '+' : '';
      const indentHint = value.startsWith(' ') || isBreak(value[0]) ? String(INDENT_STEP) : '';
      out.write(`|${indentHint}${chomp}`);
      const body = value.endsWith('\n') ? value.slice(0, -1) : value;
      for (const line of body.split('\n')) {
        if (line.length === 0) out.write('\n');
        else out.newline(indent);
        out.write(line);
      }
      return;
    }
  }
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  // Go's strconv 'g' format pads the exponent to two digits.
  return String(value).replace(/e([+-])(\d)$/, 'e$10$2');
}

function isEmptyCollection(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function writeInline(out: Writer, value: unknown, indent: number): void {
  if (value === null || value === undefined) out.write('null');
  else if (typeof value === 'string') writeString(out, value, indent, false);
  else if (typeof value === 'number') out.write(formatNumber(value));
  else if (typeof value === 'boolean') out.write(value ? 'true' : 'false');
  else if (typeof value === 'bigint') out.write(value.toString());
  else if (Array.isArray(value)) out.write('[]');
  else out.write('{}');
}

function writeMapping(out: Writer, map: Record<string, unknown>, indent: number, first: boolean): void {
  sortedKeys(map).forEach((key, index) => {
    if (!(first && index === 0)) out.newline(indent);
    writeString(out, key, indent, true);
    out.write(':');
    writeValueAfterKey(out, map[key], indent);
  });
}

function writeSequence(out: Writer, list: unknown[], indent: number, first: boolean): void {
  list.forEach((item, index) => {
    if (!(first && index === 0)) out.newline(indent);
    out.write('-');
    if (Array.isArray(item) && item.length > 0) {
      out.write(' ');
      writeSequence(out, item, indent + INDENT_STEP, true);
    } else if (typeof item === 'object' && item !== null && !Array.isArray(item) && !isEmptyCollection(item)) {
      out.write(' ');
      writeMapping(out, item as Record<string, unknown>, indent + INDENT_STEP, true);
    } else {
      out.write(' ');
      writeInline(out, item, indent + INDENT_STEP);
    }
  });
}

function writeValueAfterKey(out: Writer, value: unknown, keyIndent: number): void {
  if (Array.isArray(value) && value.length > 0) {
    // go-yaml writes a sequence under a mapping key at the key's own indentation.
    out.newline(keyIndent);
    writeSequence(out, value, keyIndent, true);
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && !isEmptyCollection(value)) {
    out.newline(keyIndent + INDENT_STEP);
    writeMapping(out, value as Record<string, unknown>, keyIndent + INDENT_STEP, true);
  } else {
    out.write(' ');
    writeInline(out, value, keyIndent + INDENT_STEP);
  }
}

/** One YAML document for a JSON-compatible value, ending with a newline (no `---` marker). */
export function goYamlMarshal(value: unknown): string {
  const out = new Writer();
  if (Array.isArray(value) && value.length > 0) writeSequence(out, value, 0, true);
  else if (typeof value === 'object' && value !== null && !Array.isArray(value) && !isEmptyCollection(value)) {
    writeMapping(out, value as Record<string, unknown>, 0, true);
  } else writeInline(out, value, 0);
  out.write('\n');
  return out.toString();
}
