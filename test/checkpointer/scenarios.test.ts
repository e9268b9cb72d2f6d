/**
 * The scenario table: every case of bootkube v0.14's state-machine suite (reference §5.7,
 * TestProcess), in our words, and the cases of our fixes (DESIGN.md §6). Each row is a node: the
 * checkpoints on disk, what the API, the kubelet and the runtime say, and per round what the
 * checkpointer must start, stop, remove, write or hold back. Rounds run the real iteration over
 * the real store in a temp dir, with fake sources and an injected clock; after each round the
 * disk must agree with what was reported.
 */
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeNode, GRACE_MS, NS, T0, type PodDesc, type World } from './harness.js';

interface Expect {
  starts?: string[];
  stops?: string[];
  removes?: string[];
  written?: string[];
  /** New versions held back until they prove themselves. */
  waiting?: string[];
}

interface Round {
  /** Milliseconds after T0 (default: round 1 at 0, round 2 at the grace period). */
  at?: number;
  /** What changed in the world before this round. */
  change?: Partial<World>;
  expect: Expect;
}

interface Row {
  name: string;
  /** POD_NAME of the running checkpointer (its static copy runs as `pod-checkpointer-mynode`). */
  podName?: string;
  inactive?: string[];
  active?: string[];
  /** How the checkpoints on disk were written, where it differs from the world's pods (an older version). */
  seedPods?: Record<string, PodDesc>;
  world: World;
  rounds: Round[];
  /** Checkpoints on disk after the last round. */
  after?: { inactive?: string[]; active?: string[] };
}

const PC = 'pod-checkpointer';
const COPY = `${PC}-mynode`;
const plain = (names: string[]) => Object.fromEntries(names.map((n) => [n, {}]));
/** The world of a v0.14 row: every pod plain, `api: null` = unreachable. */
const v014 = (w: { running?: string[]; local?: string[]; api: string[] | null }): World => ({
  pods: plain(['AA', 'BB', PC]),
  runtime: w.running ?? [],
  kubelet: w.local ?? [],
  api: w.api ?? 'error',
});
const twoRounds = (first: Expect, second: Expect = {}): Round[] => [
  { expect: first },
  { at: GRACE_MS, expect: second },
];

const DS = { owner: 'ds-apiserver', lock: true, labels: { 'k8s-app': 'kube-apiserver' } };

const rows: Row[] = [
  // ---- bootkube v0.14 TestProcess (reference §5.7), in order ----
  {
    name: 'v0.14 #1: an inactive checkpoint whose pod does not run starts while the API is down',
    inactive: ['AA'],
    world: v014({ api: null }),
    rounds: twoRounds({ starts: ['AA'] }),
  },
  {
    name: 'v0.14 #2: an inactive checkpoint whose pod runs stays put while the API is down',
    inactive: ['AA'],
    world: v014({ running: ['AA'], api: null }),
    rounds: twoRounds({}),
  },
  {
    name: 'v0.14 #3: an inactive checkpoint whose pod is gone from the API is removed after the grace period',
    inactive: ['AA'],
    world: v014({ api: ['BB'] }),
    rounds: twoRounds({}, { removes: ['AA'] }),
    after: { inactive: [] },
  },
  {
    name: 'v0.14 #4: an inactive checkpoint whose pod is in the API and runs stays put',
    inactive: ['AA'],
    world: v014({ running: ['AA'], api: ['AA'] }),
    rounds: twoRounds({}),
  },
  {
    name: 'v0.14 #5: an inactive checkpoint whose pod is in the API but does not run starts',
    inactive: ['AA'],
    world: v014({ api: ['AA'] }),
    rounds: twoRounds({ starts: ['AA'] }),
  },
  {
    name: 'v0.14 #6: likewise when the kubelet lists it too',
    inactive: ['AA'],
    world: v014({ api: ['AA'], local: ['AA'] }),
    rounds: twoRounds({ starts: ['AA'] }),
  },
  {
    name: 'v0.14 #7: an active checkpoint whose pod does not run stays active while the API is down',
    active: ['AA'],
    world: v014({ api: null }),
    rounds: twoRounds({}),
    after: { active: ['AA'] },
  },
  {
    name: 'v0.14 #8: an active checkpoint stops once its pod runs, API down (ours: its only copy is kept, inactive)',
    active: ['AA'],
    world: v014({ running: ['AA'], api: null }),
    rounds: twoRounds({ stops: ['AA'] }),
    after: { active: [], inactive: ['AA'] },
  },
  {
    name: 'v0.14 #9: an active checkpoint whose pod is in the API but does not run stays active',
    active: ['AA'],
    world: v014({ api: ['AA'] }),
    rounds: twoRounds({}),
  },
  {
    name: 'v0.14 #10: an active checkpoint whose pod is gone from the API is removed after the grace period',
    active: ['AA'],
    world: v014({ api: ['BB'] }),
    rounds: twoRounds({}, { removes: ['AA'] }),
    after: { active: [] },
  },
  {
    name: 'v0.14 #11: an active checkpoint stops once its pod runs, API up',
    active: ['AA'],
    world: v014({ running: ['AA'], api: ['AA'] }),
    rounds: twoRounds({ stops: ['AA'] }),
  },
  {
    name: 'v0.14 #12: the kubelet still listing the pod does not keep a checkpoint the API has dropped',
    active: ['AA'],
    world: v014({ local: ['AA'], api: ['BB'] }),
    rounds: twoRounds({}, { removes: ['AA'] }),
  },
  {
    name: 'v0.14 #13: active and inactive copies of a dropped pod go in one removal',
    active: ['AA'],
    inactive: ['AA'],
    world: v014({ api: ['BB'] }),
    rounds: twoRounds({}, { removes: ['AA'] }),
    after: { active: [], inactive: [] },
  },
  {
    name: 'v0.14 #14: API down, pod runs and the kubelet lists it: nothing changes',
    inactive: ['AA'],
    world: v014({ running: ['AA'], local: ['AA'], api: null }),
    rounds: twoRounds({}),
  },
  {
    name: 'v0.14 #15: API down, the kubelet lists the pod but it does not run: the active checkpoint stays',
    active: ['AA'],
    world: v014({ local: ['AA'], api: null }),
    rounds: twoRounds({}),
  },
  {
    name: 'v0.14 #16: its own checkpoint is kept started while its pod runs and is in the API',
    inactive: [PC],
    world: v014({ running: [PC], local: [PC], api: [PC] }),
    rounds: twoRounds({ starts: [PC] }, { starts: [PC] }),
  },
  {
    name: 'v0.14 #17: its own checkpoint is started while the API is down',
    inactive: [PC],
    world: v014({ local: [PC], api: null }),
    rounds: twoRounds({ starts: [PC] }, { starts: [PC] }),
  },
  {
    name: 'v0.14 #18: its own pod gone from the API: after the grace period everything goes, itself last',
    inactive: [PC, 'AA'],
    world: v014({ running: [PC, 'AA', 'BB'], local: ['BB'], api: ['BB'] }),
    rounds: twoRounds({ starts: [PC], stops: ['BB'] }, { removes: ['AA', 'BB', PC] }),
    after: { active: [], inactive: [] },
  },
  {
    name: 'v0.14 #19: likewise with fewer pods',
    inactive: [PC, 'AA'],
    world: v014({ running: [PC, 'AA'], local: ['AA'], api: ['AA'] }),
    rounds: twoRounds({ starts: [PC] }, { removes: ['AA', PC] }),
    after: { active: [], inactive: [] },
  },
  {
    name: 'v0.14 #20: likewise with active checkpoints',
    active: [PC, 'AA'],
    world: v014({ running: [PC, 'AA'], local: ['AA'], api: ['AA'] }),
    rounds: twoRounds({ starts: [PC], stops: ['AA'] }, { removes: ['AA', PC] }),
    after: { active: [], inactive: [] },
  },
  {
    name: 'v0.14 #21: #16 run by its static copy',
    podName: COPY,
    inactive: [PC],
    world: v014({ running: [PC], local: [PC], api: [PC] }),
    rounds: twoRounds({ starts: [PC] }, { starts: [PC] }),
  },
  {
    name: 'v0.14 #22: #17 run by its static copy',
    podName: COPY,
    inactive: [PC],
    world: v014({ local: [PC], api: null }),
    rounds: twoRounds({ starts: [PC] }, { starts: [PC] }),
  },
  {
    name: 'v0.14 #23: static copy, own pod gone, a listed pod that does not run is started, then all go',
    podName: COPY,
    inactive: [PC, 'AA'],
    world: v014({ running: [PC, 'AA'], local: ['BB'], api: ['BB'] }),
    rounds: twoRounds({ starts: [PC, 'BB'] }, { removes: ['AA', 'BB', PC] }),
    after: { active: [], inactive: [] },
  },
  {
    name: 'v0.14 #24: #19 run by its static copy',
    podName: COPY,
    inactive: [PC, 'AA'],
    world: v014({ running: [PC, 'AA'], local: ['AA'], api: ['AA'] }),
    rounds: twoRounds({ starts: [PC] }, { removes: ['AA', PC] }),
  },
  {
    name: 'v0.14 #25: #20 run by its static copy',
    podName: COPY,
    active: [PC, 'AA'],
    world: v014({ running: [PC, 'AA'], local: ['AA'], api: ['AA'] }),
    rounds: twoRounds({ starts: [PC], stops: ['AA'] }, { removes: ['AA', PC] }),
  },
  {
    name: 'v0.14 e2e UnscheduleParent: API down after reboot, the checkpoints start; the API back without the parent, its checkpoint goes',
    active: [PC],
    inactive: ['AA', PC],
    world: v014({ api: null }),
    rounds: [
      { expect: { starts: [PC, 'AA'] } },
      { at: 10, change: { api: [PC] }, expect: { starts: [PC] } },
      { at: 10 + GRACE_MS, expect: { starts: [PC], removes: ['AA'] } },
    ],
    after: { active: [PC], inactive: [PC] },
  },
  {
    name: 'v0.14 e2e UnscheduleCheckpointer: a new parent seen locally is checkpointed, inactive; unscheduling the checkpointer removes both',
    world: v014({ running: [PC, 'AA'], local: [PC, 'AA'], api: [PC, 'AA'] }),
    rounds: [
      { expect: { starts: [PC], stops: ['AA'], written: ['AA', PC] } },
      { at: 10, change: { api: ['AA'] }, expect: { starts: [PC] } },
      { at: 10 + GRACE_MS, expect: { removes: ['AA', PC] } },
    ],
    after: { active: [], inactive: [] },
  },

  // ---- our fixes (DESIGN.md §6) ----
  {
    name: 'fix: the runtime erroring is not "nothing runs": no activation while the API is down',
    inactive: ['AA'],
    world: { ...v014({ api: null }), runtime: 'error' },
    rounds: twoRounds({}),
  },
  {
    name: 'fix: the runtime timing out is not "nothing runs" either',
    inactive: ['AA'],
    world: { ...v014({ api: null, local: ['AA'] }), runtime: 'timeout' },
    rounds: twoRounds({}),
  },
  {
    name: 'fix: a stale runtime answer (claiming nothing runs) is unknown: no activation',
    inactive: ['AA'],
    world: { ...v014({ api: ['AA'] }), runtime: 'stale' },
    rounds: twoRounds({}),
  },
  {
    name: 'fix: every pod source down: nothing activates, nothing is removed',
    inactive: ['AA'],
    active: ['BB'],
    world: { ...v014({ api: null }), kubelet: 'error', runtime: 'error' },
    rounds: twoRounds({}),
    after: { inactive: ['AA', 'BB'], active: ['BB'] },
  },
  {
    name: 'fix: the API erroring while the parent runs: no activation',
    inactive: ['AA'],
    world: { ...v014({ running: ['AA'], api: null }), kubelet: 'timeout' },
    rounds: twoRounds({}),
  },
  {
    name: 'fix: a stale API answer is no answer: nothing is removed for it',
    inactive: ['AA'],
    world: { ...v014({ running: ['AA'], api: null }), api: 'stale' },
    rounds: twoRounds({}),
    after: { inactive: ['AA'] },
  },
  {
    name: 'fix: an apiserver blocked in lockexec (not Ready) counts as running: the active checkpoint steps down',
    active: ['AA'],
    world: { pods: { AA: { lock: true, ready: false } }, api: ['AA'], kubelet: ['AA'], runtime: ['AA'] },
    rounds: twoRounds({ stops: ['AA'] }),
  },
  {
    name: 'fix: a running pod no source can name that looks like the parent holds the state (API and kubelet down)',
    inactive: ['AA'],
    world: {
      pods: { AA: DS },
      api: 'error',
      kubelet: 'error',
      runtime: [],
      strangers: [{ name: 'AB', labels: { 'k8s-app': 'kube-apiserver', 'controller-revision-hash': 'x' } }],
    },
    rounds: twoRounds({}),
  },
  {
    name: 'fix: DaemonSet rollout: the active checkpoint steps down for the new pod at once, and the proved new pod replaces it',
    active: ['AA'],
    inactive: ['AA'],
    world: {
      pods: { AA: DS, AB: { ...DS, ready: false } },
      api: ['AB'],
      kubelet: ['AB'],
      runtime: ['AB'],
      lockHolder: 'AA',
    },
    rounds: [
      { expect: { stops: ['AA'], waiting: ['AB'] } },
      {
        at: 5,
        change: { pods: { AA: DS, AB: { ...DS, ready: true } }, lockHolder: 'AB' },
        expect: { written: ['AB'], stops: ['AB'], removes: ['AA'] },
      },
    ],
    after: { inactive: ['AB'], active: [] },
  },
  {
    name: 'fix: a bad update that never holds the lock never replaces the good checkpoint, which comes back when the API goes',
    active: ['AA'],
    inactive: ['AA'],
    world: {
      pods: { AA: DS, AB: { ...DS, ready: true } },
      api: ['AB'],
      kubelet: ['AB'],
      runtime: ['AB'],
      lockHolder: 'AA',
    },
    rounds: [
      { expect: { stops: ['AA'], waiting: ['AB'] } },
      // It crash-loops: no longer running, still in the API. The old checkpoint outlives the grace period.
      { at: 3 * GRACE_MS, change: { runtime: [] }, expect: { waiting: ['AB'] } },
      // The API goes (one master): the good checkpoint starts.
      { at: 4 * GRACE_MS, change: { api: 'error' }, expect: { starts: ['AA'], waiting: ['AB'] } },
    ],
    after: { inactive: ['AA'], active: ['AA'] },
  },
  {
    name: 'fix: a bad update that never becomes Ready does not replace the checkpoint of the same pod',
    inactive: ['AA'],
    seedPods: { AA: {} },
    world: {
      pods: { AA: { image: 'example/AA:2', ready: false } },
      api: ['AA'],
      kubelet: ['AA'],
      runtime: ['AA'],
    },
    rounds: [
      { expect: { waiting: ['AA'] } },
      { at: 3 * GRACE_MS, expect: { waiting: ['AA'] } },
      {
        at: 4 * GRACE_MS,
        change: { pods: { AA: { image: 'example/AA:2', ready: true } } },
        expect: { written: ['AA'] },
      },
    ],
  },
  {
    name: 'fix: an apiserver Ready only because another apiserver answers its probe has not proved itself',
    inactive: ['AA'],
    seedPods: { AA: DS },
    world: {
      pods: { AA: { ...DS, image: 'example/apiserver:2', ready: true } },
      api: ['AA'],
      kubelet: ['AA'],
      runtime: ['AA'],
      lockHolder: undefined,
    },
    rounds: [
      { expect: { waiting: ['AA'] } },
      { at: 5, change: { lockHolder: 'AA', readyz: false }, expect: { waiting: ['AA'] } },
      { at: 10, change: { readyz: true }, expect: { written: ['AA'] } },
    ],
  },
  {
    name: 'fix: the checkpointer rolled out to a pod that never runs: its static copy stays and removes nothing, long past the grace period',
    podName: 'pc-old-mynode',
    active: ['pc-old', 'AA'],
    inactive: ['pc-old', 'AA'],
    world: {
      pods: { 'pc-old': { owner: 'ds-pc', ready: true }, 'pc-new': { owner: 'ds-pc', ready: false }, AA: {} },
      api: ['pc-new', 'AA'],
      kubelet: ['pc-new', 'AA'],
      runtime: ['AA'],
    },
    rounds: [
      { expect: { starts: ['pc-old'], stops: ['AA'], waiting: ['pc-new'] } },
      { at: 10 * GRACE_MS, expect: { starts: ['pc-old'], waiting: ['pc-new'] } },
    ],
    after: { inactive: ['AA', 'pc-old'], active: ['pc-old'] },
  },
  {
    name: 'fix: the checkpointer rolled out: its old static copy gives way to the proved new pod, the other checkpoints stay',
    podName: 'pc-old-mynode',
    active: ['pc-old', 'AA'],
    inactive: ['pc-old', 'AA'],
    world: {
      pods: { 'pc-old': { owner: 'ds-pc', ready: true }, 'pc-new': { owner: 'ds-pc', ready: true }, AA: {} },
      api: ['pc-new', 'AA'],
      kubelet: ['pc-new', 'AA'],
      runtime: ['pc-new', 'AA'],
    },
    rounds: [{ expect: { stops: ['AA', 'pc-new'], written: ['pc-new'], removes: ['pc-old'] } }],
    after: { inactive: ['AA', 'pc-new'], active: [] },
  },
  {
    name: "fix: the checkpointer's own pod gone for good: every checkpoint and its files go, itself last",
    active: [PC],
    inactive: [PC, 'AA', 'BB'],
    world: {
      pods: { [PC]: {}, AA: { secret: true }, BB: { secret: true } },
      api: ['AA', 'BB'],
      kubelet: [],
      runtime: ['AA', 'BB'],
    },
    rounds: twoRounds({ starts: [PC] }, { removes: ['AA', 'BB', PC] }),
    after: { inactive: [], active: [] },
  },
];

async function onDisk(node: FakeNode, dir: string, names: string[]): Promise<string[]> {
  const present: string[] = [];
  for (const n of names)
    if (
      await access(join(dir, `${NS}-${n}.json`)).then(
        () => true,
        () => false,
      )
    )
      present.push(n);
  return present.sort();
}

describe('checkpointer scenarios', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const node = await FakeNode.create(row.world, row.podName);
      try {
        await node.seed(row.inactive ?? [], row.active ?? [], row.seedPods);
        const names = [
          ...new Set([...Object.keys(row.world.pods), ...(row.inactive ?? []), ...(row.active ?? [])]),
        ];
        for (const [i, round] of row.rounds.entries()) {
          if (round.change) node.world = { ...node.world, ...round.change };
          node.now = T0 + (round.at ?? 0);
          const report = await node.runOnce();
          const short = (ids: string[]) => ids.map((id) => id.slice(NS.length + 1));
          const got = {
            starts: short(report.starts),
            stops: short(report.stops),
            removes: short(report.removes),
            written: short(report.written).sort(),
            waiting: short(report.waiting.map((w) => w.id)),
          };
          const want = {
            starts: [],
            stops: [],
            removes: [],
            written: got.written,
            waiting: [],
            ...round.expect,
          };
          if (round.expect.written) want.written = [...round.expect.written].sort();
          assert.deepEqual(got, want, `round ${i + 1}\n${node.logs.join('\n')}`);
          assert.deepEqual(report.failed, [], `round ${i + 1}: nothing fails`);
          // The disk agrees with the report.
          const active = await onDisk(node, node.store.layout.staticPods, names);
          for (const n of got.starts) assert.ok(active.includes(n), `round ${i + 1}: ${n} active on disk`);
          for (const n of [...got.stops, ...got.removes])
            assert.ok(!active.includes(n), `round ${i + 1}: ${n} not active on disk`);
          for (const n of got.removes) {
            assert.deepEqual(await onDisk(node, node.store.layout.inactive, [n]), [], `${n} removed`);
            await assert.rejects(access(join(node.store.layout.secrets, NS, n)), `${n}: its secrets removed`);
          }
        }
        if (row.after?.inactive)
          assert.deepEqual(
            await onDisk(node, node.store.layout.inactive, names),
            [...row.after.inactive].sort(),
          );
        if (row.after?.active)
          assert.deepEqual(
            await onDisk(node, node.store.layout.staticPods, names),
            [...row.after.active].sort(),
          );
      } finally {
        await node.cleanup();
      }
    });
  }

  it('a DaemonSet rollout completes in two iterations, far inside the grace period', async () => {
    const node = await FakeNode.create({
      pods: { AA: DS, AB: { ...DS, ready: true } },
      api: ['AB'],
      kubelet: ['AB'],
      runtime: ['AB'],
      lockHolder: 'AA',
    });
    try {
      await node.seed(['AA'], ['AA']);
      const old = await readFile(join(node.store.layout.inactive, `${NS}-AA.json`), 'utf8');
      assert.deepEqual((await node.runOnce()).stops, [`${NS}/AA`]);
      node.world.lockHolder = 'AB';
      node.now += 10;
      const r = await node.runOnce();
      assert.deepEqual([r.written, r.removes], [[`${NS}/AB`], [`${NS}/AA`]]);
      assert.ok(node.now - T0 < GRACE_MS);
      assert.match(old, /example\/AA:1/);
    } finally {
      await node.cleanup();
    }
  });
});
