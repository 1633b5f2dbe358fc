// The testkit's transport conformance suite, run against the real UDP
// transport: two createUdpTransport endpoints on the loopback interface.
import { describe, it } from 'vitest';
import { createUdpTransport } from '@udprpc/transport-udp';
import { runConformanceCase, transportConformanceCases, type ConformancePair } from '@udprpc/testkit';
import { loopbackHosts } from '../helpers/udp-rpc.js';
import { waitFor } from '../helpers/wait.js';

const HOSTS = await loopbackHosts();

/**
 * Real sockets deliver on the event loop: `waitFor` polls (bounded), and
 * `quiesce` gives in-flight datagrams a moment before a "nothing arrived"
 * check. A slow machine can only make such a check pass vacuously, never fail.
 */
function udpPair(host: string): () => Promise<ConformancePair> {
  return async () => ({
    a: createUdpTransport({ host }),
    b: createUdpTransport({ host }),
    waitFor: (condition, what) => waitFor(condition, what),
    quiesce: () => new Promise((resolve) => setTimeout(resolve, 50)),
  });
}

for (const { host, skip } of HOSTS) {
  const title = `transport conformance: createUdpTransport on ${host}${skip === undefined ? '' : ` — SKIPPED: cannot bind ${host} here (${skip})`}`;
  describe.skipIf(skip !== undefined)(title, () => {
    for (const testCase of transportConformanceCases) {
      it(testCase.name, () => runConformanceCase(testCase, udpPair(host)));
    }
  });
}
