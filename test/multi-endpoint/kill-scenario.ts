// One server of a simulated cluster dies mid-run under a steady load of
// calls: what the client saw (ejections, failovers, each call's outcome and
// end time), and what the servers did (runs per call), counted after the
// network has drained.
import { channel } from 'node:diagnostics_channel';
import type { ClientFailoverMessage } from '@udprpc/client';
import type { LinkConditions } from '@udprpc/testkit';
import { startSimCluster, svc, type SimCluster, type SimClusterOptions } from './sim-cluster.js';

/** How the victim dies: all its traffic dropped, its socket closed silently, or closed with ICMP refusals. */
export type KillKind = 'partition' | 'close' | 'refuse';

export interface KillOptions {
  seed: number;
  servers?: number;
  kill: KillKind;
  killAtMs: number;
  /** Heals a `partition` kill at this time. */
  healAtMs?: number;
  /** Index of the server that dies. */
  victim?: number;
  link?: LinkConditions;
  handlerMs?: number;
  /** A call starts every `everyMs` from 0 to `untilMs`. */
  everyMs?: number;
  untilMs?: number;
  /** Whether call `i` (0-based) is idempotent. Default: all are. */
  idempotent?: (i: number) => boolean;
  client?: SimClusterOptions['client'];
  serverDelayMs?: SimClusterOptions['serverDelayMs'];
}

export interface CallRecord {
  readonly tag: number;
  readonly idempotent: boolean;
  readonly startedAt: number;
  endedAt: number;
  ok: boolean;
  code: string | undefined;
  mayHaveRun: boolean;
  server: string | undefined;
}

export interface KillRun {
  readonly sim: SimCluster;
  readonly victim: string;
  readonly calls: CallRecord[];
  /** `health` events: the time and the state. */
  readonly health: { peer: string; state: string; at: number }[];
  /** `udprpc:client:failover` messages with their time. */
  readonly failover: (ClientFailoverMessage & { at: number })[];
  /** Calls whose requests went to the victim and that had not ended at the kill. */
  affected(): CallRecord[];
}

const failoverChannel = channel('udprpc:client:failover');

/** Runs the scenario to the end: every call settled, then 20 s more so the network and the handlers drain. */
export async function runKill(o: KillOptions): Promise<KillRun> {
  const sim = await startSimCluster({
    seed: o.seed,
    servers: o.servers ?? 3,
    link: o.link ?? { delayMs: { min: 0.05, max: 0.2 } },
    ...(o.client === undefined ? {} : { client: o.client }),
    ...(o.serverDelayMs === undefined ? {} : { serverDelayMs: o.serverDelayMs }),
  });
  const victimIndex = o.victim ?? 0;
  const victim = `s${victimIndex}`;
  const health: KillRun['health'] = [];
  const failover: KillRun['failover'] = [];
  sim.client.on('health', ({ peer, state }) => health.push({ peer: peer.address, state, at: sim.clock.now() }));
  const onFailover = (message: unknown): void => void failover.push({ ...(message as ClientFailoverMessage), at: sim.clock.now() });
  failoverChannel.subscribe(onFailover);
  try {
    sim.clock.setTimer(o.killAtMs, () => {
      if (o.kill === 'partition') sim.net.partition(['client'], [victim]);
      else void sim.serverEndpoints[victimIndex]!.close();
      if (o.kill === 'refuse') sim.tap.refusing.add(victim);
    });
    if (o.healAtMs !== undefined) sim.clock.setTimer(o.healAtMs, () => sim.net.heal());
    const stub = sim.client.stub(svc);
    const every = o.everyMs ?? 5;
    const until = o.untilMs ?? 2000;
    const handlerMs = o.handlerMs ?? 300;
    const calls: CallRecord[] = [];
    const promises: Promise<unknown>[] = [];
    for (let i = 0, at = 0; at <= until; i++, at += every) {
      const tag = i + 1;
      const idempotent = o.idempotent?.(i) ?? true;
      promises.push(
        new Promise<void>((resolve) => {
          sim.clock.setTimer(at, () => {
            const record: CallRecord = { tag, idempotent, startedAt: sim.clock.now(), endedAt: NaN, ok: false, code: undefined, mayHaveRun: false, server: undefined };
            calls.push(record);
            const input = { tag, delayMs: handlerMs };
            (idempotent ? stub.get(input) : stub.put(input)).then(
              (value) => {
                Object.assign(record, { endedAt: sim.clock.now(), ok: true, code: 'OK', server: value.server });
                resolve();
              },
              (error: { code?: string; mayHaveRun?: boolean }) => {
                Object.assign(record, { endedAt: sim.clock.now(), ok: false, code: error.code, mayHaveRun: error.mayHaveRun === true });
                resolve();
              },
            );
          });
        }),
      );
    }
    await sim.clock.runUntil(() => calls.length === promises.length && calls.every((c) => !Number.isNaN(c.endedAt)), { maxTimeMs: 60_000 });
    // Drain: retransmissions, CANCELs and handlers still running on the servers.
    await sim.clock.runFor(20_000);
    calls.sort((a, b) => a.tag - b.tag);
    return {
      sim,
      victim,
      calls,
      health,
      failover,
      affected: () => calls.filter((c) => sim.tap.destinations(c.tag).has(victim) && c.endedAt > o.killAtMs),
    };
  } finally {
    failoverChannel.unsubscribe(onFailover);
  }
}
