/**
 * SQL lives in src/core/store (issue 11): every query is a store function that
 * takes the database or a transaction and names the tenant. Two places may
 * still produce SQL: the lifecycle layer's bulk write statements
 * (src/core/lifecycle) and the SCIM filter compiler (src/push/scim/filter/sql.ts). This test
 * reads the TypeScript syntax of every other source file (no database) and
 * names file and line of anything that builds or runs SQL. It also checks
 * that the store imports nothing from the modules above it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const ALLOWED = ['core/store/', 'core/lifecycle/', 'push/scim/filter/sql.ts'];

/**
 * Strings that read like SQL statements, not like prose that mentions a
 * table ("select a connection from the list" has no column list).
 */
const SQL_STATEMENTS = [
  /^\s*select\s+(distinct\s+)?(\*|[^\s,]+(\s+as\s+\S+)?(\s*,\s*[^\s,]+(\s+as\s+\S+)?)*)\s+from\s+[\w."]+/i,
  /^\s*insert\s+into\s+[\w."]+(\s+as\s+\w+)?\s*(\(|values\b|select\b|default\b)/i,
  /^\s*update\s+[\w."]+(\s+(as\s+)?\w+)?\s+set\s+[\w."]+\s*=/i,
  /^\s*delete\s+from\s+[\w."]+(\s*$|\s*;|\s+(as\s+\w+\s+)?(where|using|returning)\b)/i,
  /^\s*with\s+\w+\s+as\s*\(/i,
];
const isSqlStatement = (text: string) => SQL_STATEMENTS.some((pattern) => pattern.test(text));
/** Receivers whose `.execute(...)` runs a statement: a database, a transaction or a driver client. */
const DATABASE_RECEIVER = /^(db|tx|trx|database|transaction|client)$/i;

export interface SqlFinding {
  line: number;
  what: string;
}

function isSqlModule(specifier: string): string | undefined {
  if (specifier === 'drizzle-orm' || specifier.startsWith('drizzle-orm/')) return `imports ${specifier}`;
  if (/(^|\/)store\/schema(\.js|\.ts)?$/.test(specifier)) return `imports the drizzle schema (${specifier})`;
  return undefined;
}

/** `import { schema } from '../store/index.js'`: the tables, through the store's front door. */
function schemaFromStoreIndex(node: ts.ImportDeclaration | ts.ExportDeclaration, specifier: string): string | undefined {
  if (!/(^|\/)store(\/index(\.js|\.ts)?)?$/.test(specifier)) return undefined;
  const bindings = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
  const names = bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings)) ? bindings.elements : [];
  return names.some((n) => (n.propertyName ?? n.name).text === 'schema') ? `imports the drizzle schema (schema from ${specifier})` : undefined;
}

function receiverName(expression: ts.Expression): string | undefined {
  let e = expression;
  while (ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** Everything in `text` (a TypeScript file) that builds or runs SQL, by line. */
export function findSql(fileName: string, text: string): SqlFinding[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: SqlFinding[] = [];
  const report = (node: ts.Node, what: string) =>
    findings.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, what });
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const what = isSqlModule(node.moduleSpecifier.text) ?? schemaFromStoreIndex(node, node.moduleSpecifier.text);
      if (what) report(node, what);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [specifier] = node.arguments;
      const what = specifier && ts.isStringLiteral(specifier) ? isSqlModule(specifier.text) : undefined;
      if (what) report(node, what);
    } else if (ts.isTaggedTemplateExpression(node) && receiverName(node.tag) === 'sql') {
      report(node, 'builds a sql`` template');
      return; // its text is SQL by construction: one finding is enough
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const { name, expression } = node.expression;
      if (name.text === 'raw' && receiverName(expression) === 'sql') report(node, 'builds sql.raw()');
      if (name.text === 'execute') {
        const [first] = node.arguments;
        const statementArgument = first !== undefined && (ts.isTaggedTemplateExpression(first) || ts.isStringLiteralLike(first) || ts.isTemplateExpression(first));
        if (statementArgument || DATABASE_RECEIVER.test(receiverName(expression) ?? '')) report(node, 'runs .execute() on the database');
      }
    } else if (ts.isStringLiteralLike(node) && isSqlStatement(node.text)) {
      report(node, 'a string that is a SQL statement');
    } else if (ts.isTemplateExpression(node) && isSqlStatement(node.head.text + node.templateSpans.map((s) => ` x ${s.literal.text}`).join(''))) {
      report(node, 'a template that is a SQL statement');
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

describe('SQL outside src/core/store', () => {
  it('finds a drizzle import, a schema import, sql templates, .execute() and SQL strings in a planted file', () => {
    const planted = [
      "import { eq, sql } from 'drizzle-orm';",
      "import type { PgDatabase } from 'drizzle-orm/pg-core';",
      "import { users } from '../store/schema.js';",
      "import { queryRows, schema } from '../store/index.js';",
      'export async function leak(db: Db, id: string) {',
      '  await db.execute(sql`select * from users where id = ${id}`);',
      "  const text = 'SELECT id FROM groups';",
      '  const again = `delete from users where id = ${id}`;',
      '  await tx.execute(text);',
      "  return ['insert into audit_events (id) values (1)', 'update users set active = false', sql.raw('now()')];",
      '}',
    ].join('\n');
    expect(findSql('planted.ts', planted)).toEqual([
      { line: 1, what: 'imports drizzle-orm' },
      { line: 2, what: 'imports drizzle-orm/pg-core' },
      { line: 3, what: 'imports the drizzle schema (../store/schema.js)' },
      { line: 4, what: 'imports the drizzle schema (schema from ../store/index.js)' },
      { line: 6, what: 'runs .execute() on the database' },
      { line: 6, what: 'builds a sql`` template' },
      { line: 7, what: 'a string that is a SQL statement' },
      { line: 8, what: 'a template that is a SQL statement' },
      { line: 9, what: 'runs .execute() on the database' },
      { line: 10, what: 'a string that is a SQL statement' },
      { line: 10, what: 'a string that is a SQL statement' },
      { line: 10, what: 'builds sql.raw()' },
    ]);
  });

  it('leaves prose, other execute() methods and store imports alone', () => {
    const clean = [
      "import { findUserById, type Db } from '../store/index.js';",
      "const hint = 'select a connection from the list, or update its settings';",
      'await this.next!.execute(context);',
      'await session.execute(name, input);',
      '// select id from users (a comment)',
    ].join('\n');
    expect(findSql('clean.ts', clean)).toEqual([]);
  });

  it('keeps src/core/store below the modules that call it: it imports only its own files and src/core/errors', () => {
    const upward: string[] = [];
    for (const file of sourceFiles(path.join(SRC, 'core', 'store'))) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      for (const statement of source.statements) {
        if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) || !statement.moduleSpecifier) continue;
        const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
        if (specifier.startsWith('../') && !specifier.startsWith('../errors/')) upward.push(`src/core/store/${path.basename(file)}: ${specifier}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('finds no SQL in src/ outside store/, lifecycle/ and the SCIM filter compiler', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const relative = path.relative(SRC, file).split(path.sep).join('/');
      if (ALLOWED.some((prefix) => relative.startsWith(prefix))) continue;
      for (const f of findSql(file, readFileSync(file, 'utf8'))) found.push(`src/${relative}:${f.line}: ${f.what}`);
    }
    expect(found, 'move these queries into a src/core/store query module').toEqual([]);
  });
});
