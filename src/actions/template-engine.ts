// Jinja-compatible templates on nunjucks, compiled once at start-up. nunjucks types only its
// rendering API, so the parser, node classes and compiler it exports are described here; this file
// is the only one that touches them. Each template is parsed, checked (no file access, no method
// calls, no `constructor`/`__proto__` lookups, known filters only) and every `{{ … }}` output is
// wrapped in one escaping filter before it is compiled: the escaping depends on where the text goes
// (a JSON string, a URL, a header), never on what the template author remembered to write.

import { createRequire } from "node:module";
import nunjucks from "nunjucks";

/** The part of a nunjucks AST node this file reads or builds. */
interface AstNode {
  readonly typename: string;
  readonly lineno: number;
  readonly colno: number;
  /** NodeList and its subclasses (Root, Output, Group, …). */
  children?: AstNode[];
  /** Symbol, Literal. */
  readonly value?: unknown;
  /** LookupVal. */
  readonly target?: AstNode;
  readonly val?: AstNode;
  /** FunCall, Filter, Macro. */
  readonly name?: AstNode;
  readonly args?: AstNode;
  findAll(type: NodeClass, results?: AstNode[]): AstNode[];
}

type NodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => AstNode;

interface NunjucksInternals {
  readonly parser: { parse(source: string): AstNode };
  readonly nodes: Readonly<Record<"Output" | "TemplateData" | "Filter" | "Symbol" | "NodeList" | "LookupVal" | "FunCall" | "Macro" | "Node", NodeClass>>;
  readonly compiler: { readonly Compiler: new (name: string, throwOnUndefined: boolean) => { compile(node: AstNode): void; getCode(): string } };
  readonly transformer: { transform(ast: AstNode, asyncFilters: readonly string[], name: string): AstNode };
}

const { parser, nodes, compiler } = nunjucks as unknown as Omit<NunjucksInternals, "transformer">;
// The transformer is not re-exported by nunjucks' index; its module path is stable since 3.0.
const { transform } = createRequire(import.meta.url)("nunjucks/src/transformer.js") as NunjucksInternals["transformer"];

/** A template problem found at load: what is wrong and where (1-based). */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} (line ${line}, column ${column})`);
    this.name = "TemplateSyntaxError";
  }
}

/** Lookups that reach JavaScript's machinery instead of data. */
const FORBIDDEN_KEYS = new Set(["constructor", "__proto__", "prototype", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__"]);
/** Functions a template may call: nunjucks' harmless globals. Everything else goes through filters. */
const CALLABLE_GLOBALS = new Set(["range", "cycler", "joiner"]);
/** Tags that would read other templates from disk (no loader is configured: they could only fail later). */
const FILE_NODES = new Set(["Include", "Import", "FromImport", "Extends", "Block", "Super"]);

const environment = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false });
/** Jinja's name for what nunjucks calls `dump`. */
environment.addFilter("tojson", (value: unknown) => JSON.stringify(value ?? null));

/** Registers an escaping filter; its name starts with `__` so a template cannot name it by accident. */
export function defineEscape(name: `__${string}`, escape: (value: unknown) => string): void {
  environment.addFilter(name, escape);
}

function filterExists(name: string): boolean {
  try {
    environment.getFilter(name);
    return true;
  } catch {
    return false;
  }
}

export interface ParsedTemplate {
  readonly ast: AstNode;
  /** `X` of every `env.X` the template reads. */
  readonly envNames: readonly string[];
  /** Top-level names the template reads (`Event`, `Attribute`, …). */
  readonly names: ReadonlySet<string>;
}

/** Parses and checks a template; throws TemplateSyntaxError naming the line. */
export function parseTemplate(source: string): ParsedTemplate {
  let ast: AstNode;
  try {
    ast = parser.parse(source);
  } catch (error) {
    const e = error as { message?: string; lineno?: number; colno?: number };
    throw new TemplateSyntaxError(`template syntax error: ${e.message ?? String(error)}`, e.lineno ?? 1, e.colno ?? 1);
  }
  const fail = (node: AstNode, message: string): never => {
    throw new TemplateSyntaxError(message, node.lineno + 1, node.colno + 1);
  };
  const all = ast.findAll(nodes.Node);
  const macros = new Set(ast.findAll(nodes.Macro).map((m) => String(m.name?.value)));
  for (const node of all) {
    if (FILE_NODES.has(node.typename)) fail(node, `{% ${node.typename.toLowerCase()} %} is not allowed: templates cannot read other files`);
    if (node.typename === "LookupVal" && node.val?.typename === "Literal" && FORBIDDEN_KEYS.has(String(node.val.value))) {
      fail(node, `looking up "${String(node.val.value)}" is not allowed`);
    }
    if (node.typename === "Symbol" && FORBIDDEN_KEYS.has(String(node.value))) fail(node, `"${String(node.value)}" is not allowed`);
    if (node.typename === "Filter") {
      const name = String(node.name?.value);
      if (!filterExists(name) || name.startsWith("__")) fail(node, `unknown filter "${name}"`);
    }
    if (node.typename === "FunCall") {
      const callee = node.name;
      const allowed = callee?.typename === "Symbol" && (CALLABLE_GLOBALS.has(String(callee.value)) || macros.has(String(callee.value)));
      if (!allowed) fail(node, "calling a function or method is not allowed; use a filter (e.g. {{ x | upper }})");
    }
  }
  // env exposes only the variables a template names, so every read of it must name one.
  const envReads = ast.findAll(nodes.LookupVal).filter((n) => n.target?.typename === "Symbol" && n.target.value === "env");
  for (const read of envReads) {
    if (read.val?.typename !== "Literal" || typeof read.val.value !== "string") fail(read, "env must be read as env.NAME with a fixed NAME");
  }
  const symbols = ast.findAll(nodes.Symbol);
  const bareEnv = symbols.filter((s) => s.value === "env").length - envReads.length;
  if (bareEnv > 0) fail(symbols.find((s) => s.value === "env") as AstNode, "env must be read as env.NAME with a fixed NAME");
  return {
    ast,
    envNames: [...new Set(envReads.map((r) => String(r.val?.value)))],
    names: new Set(symbols.map((s) => String(s.value))),
  };
}

/** The single expression of a template that is nothing but `{{ expression }}` (whitespace around allowed). */
export function soleExpression(parsed: ParsedTemplate): AstNode | undefined {
  const top = (parsed.ast.children ?? []).filter((n) => !(n.typename === "Output" && (n.children ?? []).every(isBlankData)));
  if (top.length !== 1 || top[0]?.typename !== "Output") return undefined;
  const expressions = (top[0].children ?? []).filter((c) => !isBlankData(c));
  return expressions.length === 1 && expressions[0]?.typename !== "TemplateData" ? expressions[0] : undefined;
}

function isBlankData(node: AstNode): boolean {
  return node.typename === "TemplateData" && String(node.value ?? "").trim() === "";
}

/**
 * Compiles a parsed template with every output expression passed through `escape` (a filter name),
 * except those `keep` accepts (e.g. an expression already ending in `| tojson`).
 */
export function compileParsed(parsed: ParsedTemplate, escape: string, keep: (expression: AstNode) => boolean = () => false): (scope: object) => string {
  for (const output of parsed.ast.findAll(nodes.Output)) {
    output.children = (output.children ?? []).map((child) =>
      child.typename === "TemplateData" || keep(child)
        ? child
        : new nodes.Filter(child.lineno, child.colno, new nodes.Symbol(child.lineno, child.colno, escape), new nodes.NodeList(child.lineno, child.colno, [child])),
    );
  }
  const c = new compiler.Compiler("template", false);
  c.compile(transform(parsed.ast, [], "template"));
  // nunjucks' own Template does exactly this with the code its compiler returns.
  const props = new Function(c.getCode())() as object;
  const template = new nunjucks.Template({ type: "code", obj: props } as unknown as string, environment, "template", true);
  return (scope) => template.render(scope);
}

/** Whether an expression's last step is the named filter (`{{ x | tojson }}`). */
export function endsWithFilter(expression: AstNode, names: ReadonlySet<string>): boolean {
  return expression.typename === "Filter" && names.has(String(expression.name?.value));
}
