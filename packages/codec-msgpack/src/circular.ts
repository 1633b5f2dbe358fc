// Explains why msgpackr failed on a value, when it is a cycle or runaway
// nesting: msgpackr recurses, so both end as "Maximum call stack size
// exceeded", which tells a user nothing. Only run after an encode failed, so
// the fast path pays nothing.

/** Beyond this many objects, stop looking (a huge acyclic value is not worth a second full walk). */
const MAX_VISITED = 100_000;

/**
 * The path of the first circular reference in `value` (`$.a.b[2]`), or
 * undefined when there is none (or none within {@link MAX_VISITED} objects).
 * Iterative, so it cannot overflow the stack itself.
 */
export function findCircularPath(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  // Depth-first, with the current path on an explicit stack.
  const onPath = new Set<object>();
  const done = new Set<object>();
  const stack: { node: object; path: string; children: [string, unknown][] | undefined }[] = [{ node: value, path: '$', children: undefined }];
  let visited = 0;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.children === undefined) {
      if (++visited > MAX_VISITED) return undefined;
      onPath.add(top.node);
      top.children = childrenOf(top.node, top.path).reverse();
    }
    const next = top.children.pop();
    if (next === undefined) {
      onPath.delete(top.node);
      done.add(top.node);
      stack.pop();
      continue;
    }
    const [path, child] = next;
    if (typeof child !== 'object' || child === null || done.has(child)) continue;
    if (onPath.has(child)) return path;
    stack.push({ node: child, path, children: undefined });
  }
  return undefined;
}

function childrenOf(node: object, path: string): [string, unknown][] {
  if (Array.isArray(node)) return node.map((v, i) => [`${path}[${i}]`, v]);
  if (node instanceof Map) return [...node].map(([k, v], i) => [`${path}.get(${typeof k === 'string' ? JSON.stringify(k) : `#${i}`})`, v]);
  if (node instanceof Set) return [...node].map((v, i) => [`${path}[set #${i}]`, v]);
  if (ArrayBuffer.isView(node) || node instanceof ArrayBuffer || node instanceof Date || node instanceof RegExp) return [];
  return Object.keys(node).map((k) => [/^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, (node as Record<string, unknown>)[k]]);
}
