/** What the demo reads back from a span the console exporter printed. */
export interface PrintedSpan {
  readonly service: string;
  readonly name: string;
  /** 0 internal, 1 server, 2 client (SpanKind). */
  readonly kind: number;
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string | undefined;
}

/**
 * The spans in a process's output: the console exporter prints each as an
 * object literal starting with a `{` line and ending with a `}` line
 * (util.inspect), other lines are the program's own.
 */
export function printedSpans(output: string): PrintedSpan[] {
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    if (line === '{') current = [];
    else if (line === '}') {
      if (current !== undefined) blocks.push(current);
      current = undefined;
    } else current?.push(line);
  }
  return blocks
    .filter((lines) => lines.some((l) => l.startsWith('  traceId: ')))
    .map((lines) => {
      const top = (key: string): string | undefined => lines.find((l) => l.startsWith(`  ${key}: `))?.slice(key.length + 4).replace(/^'|',?$|,$/g, '');
      const parentAt = lines.findIndex((l) => l.startsWith('  parentSpanContext: {'));
      const parentId = parentAt < 0 ? undefined : /spanId: '([0-9a-f]{16})'/.exec(lines.slice(parentAt, parentAt + 4).join('\n'))?.[1];
      return {
        service: /'service\.name': '([^']*)'/.exec(lines.join('\n'))?.[1] ?? '',
        name: top('name') ?? '',
        kind: Number(top('kind')),
        traceId: top('traceId') ?? '',
        id: top('id') ?? '',
        parentId,
      };
    });
}
