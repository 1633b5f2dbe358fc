// JSDoc written on a contract's methods must reach the stubs, the group stubs
// and the handler maps built from it (editor hover, go-to-definition): their
// mapped types must be homomorphic over the contract's methods. Checked with
// the TypeScript checker on a snippet, as the language service would show it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const snippetPath = join(root, 'test', '__contract-jsdoc__.ts');

const snippet = `
import { createServer, defineContract, method, type GroupStub, type Handlers, type Stub } from 'udprpc';

const calc = defineContract('calc', {
  /** Adds two numbers. */
  add: method<{ a: number; b: number }, number>(),
  /**
   * Divides a by b.
   * @throws INVALID_ARGUMENT when b is 0
   */
  div: method<{ a: number; b: number }, number>(),
});

declare const stub: Stub<typeof calc>;
declare const group: GroupStub<typeof calc>;
declare const handlers: Handlers<typeof calc>;
export const probes = [stub.add, stub.div, group.add, handlers.add, handlers.div];
createServer().implement(calc, { add: ({ a, b }) => a + b, div: ({ a, b }) => a / b });
`;

function program(): { checker: ts.TypeChecker; file: ts.SourceFile; diagnostics: string } {
  const configPath = join(root, 'tsconfig.check.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const options = { ...ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath).options, noEmit: true };
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (f, l, e, c) => (f === snippetPath ? ts.createSourceFile(f, snippet, l, true) : getSourceFile.call(host, f, l, e, c));
  host.fileExists = (f) => f === snippetPath || fileExists.call(host, f);
  host.readFile = (f) => (f === snippetPath ? snippet : readFile.call(host, f));
  const p = ts.createProgram({ rootNames: [snippetPath], options, host });
  const file = p.getSourceFile(snippetPath)!;
  const diagnostics = ts.formatDiagnostics([...p.getSemanticDiagnostics(file), ...p.getSyntacticDiagnostics(file)], {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
  return { checker: p.getTypeChecker(), file, diagnostics };
}

/** `expression.name` → the documentation the checker gives for `name`, for every property access in the file. */
function docsOfAccesses(checker: ts.TypeChecker, file: ts.SourceFile): Record<string, string> {
  const docs: Record<string, string> = {};
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && ['stub', 'group', 'handlers'].includes(node.expression.text)) {
      const symbol = checker.getSymbolAtLocation(node.name);
      docs[node.getText(file)] = symbol === undefined ? '(no symbol)' : ts.displayPartsToString(symbol.getDocumentationComment(checker));
    }
    // The handlers passed to implement(): hover on the object literal's keys.
    if (ts.isPropertyAssignment(node) && ts.isObjectLiteralExpression(node.parent) && ts.isCallExpression(node.parent.parent)) {
      const contextual = checker.getContextualType(node.parent);
      const symbol = contextual?.getProperty(node.name.getText(file));
      docs[`implement.${node.name.getText(file)}`] = symbol === undefined ? '(no symbol)' : ts.displayPartsToString(symbol.getDocumentationComment(checker));
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return docs;
}

describe('JSDoc on contract methods', () => {
  it('is what stubs, group stubs and handlers show for each method', () => {
    const { checker, file, diagnostics } = program();
    expect(diagnostics).toBe('');
    expect(docsOfAccesses(checker, file)).toEqual({
      'stub.add': 'Adds two numbers.',
      'stub.div': 'Divides a by b.',
      'group.add': 'Adds two numbers.',
      'handlers.add': 'Adds two numbers.',
      'handlers.div': 'Divides a by b.',
      'implement.add': 'Adds two numbers.',
      'implement.div': 'Divides a by b.',
    });
  });
});
