/**
 * A small OData v4 `$filter` interpreter: comparisons (`eq ne gt ge lt le`) of a property with a literal,
 * `in (…)`, `and`, `or`, `not` and parentheses — what BC clients send for lookups. Anything else is a
 * {@link FilterError} (BC answers those with 400).
 */

/** A malformed or unsupported filter. */
export class FilterError extends Error {}

type Literal = string | number | boolean | null;
type Token =
  | { kind: "word"; text: string }
  | { kind: "literal"; value: Literal; quoted?: boolean }
  | { kind: "punct"; text: "(" | ")" | "," };
/** A compiled filter. */
export type Predicate = (row: Record<string, unknown>) => boolean;

const COMPARISONS = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
// The OData library's BinaryOperatorKind names, used in its type-mismatch message.
const OPERATOR_KIND: Record<string, string> = {
  eq: "Equal",
  ne: "NotEqual",
  gt: "GreaterThan",
  ge: "GreaterThanOrEqual",
  lt: "LessThan",
  le: "LessThanOrEqual",
};

/**
 * Compiles `$filter` text into a predicate over entity records. `dates` names the Edm.Date properties: OData
 * v4 writes a date literal unquoted (`postingDate ge 2026-01-01`, OData ABNF `dateValue`); a quoted one is an
 * Edm.String, and the OData library BC runs on refuses comparing the two ("A binary operator with
 * incompatible types was detected. Found operand types 'Edm.Date' and 'Edm.String' …"), so the sandbox does.
 *
 * @example
 * const keep = compileFilter("documentNumber eq 'A' or documentNumber in ('B','C')", new Set(["documentNumber"]));
 * keep({ documentNumber: "B" }); // true
 */
export function compileFilter(
  text: string,
  properties: ReadonlySet<string>,
  dates: ReadonlySet<string> = new Set(),
): Predicate {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const next = (): Token => {
    const token = tokens[at++];
    if (token === undefined) throw new FilterError("unexpected end of $filter");
    return token;
  };
  const isWord = (t: Token | undefined, word: string) => t?.kind === "word" && t.text.toLowerCase() === word;
  const expectPunct = (p: "(" | ")" | ",") => {
    const t = next();
    if (t.kind !== "punct" || t.text !== p) throw new FilterError(`expected '${p}' in $filter`);
  };
  const literal = (property?: string, op = "Equal"): Literal => {
    const t = next();
    if (t.kind === "literal" && property !== undefined && dates.has(property) && t.quoted === true) {
      throw new FilterError(
        `A binary operator with incompatible types was detected. Found operand types 'Edm.Date' and 'Edm.String' for operator kind '${op}'.`,
      );
    }
    if (t.kind === "literal") return t.value;
    throw new FilterError(`expected a literal in $filter, got ${t.kind === "word" ? t.text : t.text}`);
  };

  const primary = (): Predicate => {
    const t = next();
    if (t.kind === "punct" && t.text === "(") {
      const inner = orExpr();
      expectPunct(")");
      return inner;
    }
    if (t.kind === "word" && t.text.toLowerCase() === "not") {
      const inner = primary();
      return (row) => !inner(row);
    }
    if (t.kind !== "word") throw new FilterError("expected a property name in $filter");
    const property = t.text;
    if (!properties.has(property)) throw new FilterError(`Could not find a property named '${property}'.`);
    const op = next();
    if (op.kind !== "word") throw new FilterError("expected an operator in $filter");
    const opName = op.text.toLowerCase();
    if (opName === "in") {
      expectPunct("(");
      const values: Literal[] = [literal(property)];
      while (peek()?.kind === "punct" && (peek() as { text: string }).text === ",") {
        next();
        values.push(literal(property));
      }
      expectPunct(")");
      return (row) => values.some((v) => equal(row[property], v));
    }
    if (!COMPARISONS.has(opName)) throw new FilterError(`unsupported operator '${op.text}' in $filter`);
    const value = literal(property, OPERATOR_KIND[opName]);
    return (row) => compare(opName, row[property], value);
  };
  const andExpr = (): Predicate => {
    let left = primary();
    while (isWord(peek(), "and")) {
      next();
      const a = left;
      const b = primary();
      left = (row) => a(row) && b(row);
    }
    return left;
  };
  const orExpr = (): Predicate => {
    let left = andExpr();
    while (isWord(peek(), "or")) {
      next();
      const a = left;
      const b = andExpr();
      left = (row) => a(row) || b(row);
    }
    return left;
  };

  const predicate = orExpr();
  if (at !== tokens.length) throw new FilterError("unexpected text after the end of $filter");
  return predicate;
}

function equal(actual: unknown, value: Literal): boolean {
  if (typeof actual === "string" && typeof value === "string")
    return actual.toLowerCase() === value.toLowerCase();
  return actual === value;
}

function compare(op: string, actual: unknown, value: Literal): boolean {
  if (op === "eq") return equal(actual, value);
  if (op === "ne") return !equal(actual, value);
  if (actual === null || value === null || typeof actual !== typeof value) return false;
  const a = actual as string | number;
  const b = value as string | number;
  return op === "gt" ? a > b : op === "ge" ? a >= b : op === "lt" ? a < b : a <= b;
}

const GUID_OR_DATE =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$|^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else if (c === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterError("unterminated string literal in $filter");
        if (text.charAt(i) === "'") {
          if (text.charAt(i + 1) === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text.charAt(i++);
      }
      tokens.push({ kind: "literal", value, quoted: true });
    } else {
      let j = i;
      while (j < text.length && !/[\s(),']/.test(text.charAt(j))) j++;
      const word = text.slice(i, j);
      i = j;
      if (/^-?\d+(\.\d+)?$/.test(word)) tokens.push({ kind: "literal", value: Number(word) });
      else if (word === "true" || word === "false") tokens.push({ kind: "literal", value: word === "true" });
      else if (word === "null") tokens.push({ kind: "literal", value: null });
      // BC accepts GUIDs and dates unquoted; compare them as their text.
      else if (GUID_OR_DATE.test(word)) tokens.push({ kind: "literal", value: word });
      else tokens.push({ kind: "word", text: word });
    }
  }
  return tokens;
}
