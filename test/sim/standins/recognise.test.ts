// Which containers the stand-ins take, and how their command lines read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container } from '@kubernetes/client-node';
import { mapFlagValues, parseComponentFlags, parseGoDuration } from '../../../src/sim/standins/flags.js';
import { componentOfImage, recognise } from '../../../src/sim/standins/recognise.js';
import { standInRunners } from '../../../src/sim/standins/index.js';
import { containerContext, nodeContext } from './support.js';

const c = (image: string, command?: string[], args?: string[]): V1Container => ({
  name: 'c',
  image,
  command,
  args,
});

describe('recognising control-plane containers', () => {
  it('by the binary on the command line, behind lockexec too', () => {
    assert.deepEqual(
      recognise(
        c('example.com/whatever:1', [
          '/lockexec/lockexec',
          '/var/lock/bootkube/api-server.lock',
          'kube-apiserver',
          '--secure-port=6443',
        ]),
      ),
      {
        component: 'kube-apiserver',
        lockexec: { path: '/lockexec/lockexec', lockFile: '/var/lock/bootkube/api-server.lock' },
        flags: ['--secure-port=6443'],
      },
    );
    assert.equal(
      recognise(c('x', ['/usr/local/bin/kube-scheduler'], ['--kubeconfig=/k']))?.component,
      'kube-scheduler',
    );
    assert.deepEqual(recognise(c('x', ['/hyperkube', 'kube-controller-manager', '--leader-elect']))?.flags, [
      '--leader-elect',
    ]);
  });

  it('by the image when the image entrypoint is the binary', () => {
    assert.equal(
      componentOfImage('registry.k8s.io/kube-controller-manager:v1.32.4'),
      'kube-controller-manager',
    );
    assert.equal(componentOfImage('localhost:5000/kube-apiserver-amd64@sha256:abc'), 'kube-apiserver');
    assert.equal(componentOfImage('registry.k8s.io/kube-proxy:v1.32.4'), undefined);
    assert.deepEqual(recognise(c('registry.k8s.io/kube-scheduler:v1.32.4', undefined, ['--kubeconfig=/k'])), {
      component: 'kube-scheduler',
      lockexec: undefined,
      flags: ['--kubeconfig=/k'],
    });
  });

  it('leaves every other container to the next runner', async () => {
    assert.equal(
      recognise(
        c('quay.io/bootkube/bootkube:v0.1.0', ['cp', '/usr/local/bin/lockexec', '/lockexec/lockexec']),
      ),
      undefined,
    );
    assert.equal(recognise(c('registry.k8s.io/kube-apiserver:v1.32.4', ['sh', '-c', 'sleep 1'])), undefined);
    const pod = {
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [c('registry.k8s.io/pause:3.10')] },
    };
    const { ctx } = containerContext(nodeContext('n', '/nonexistent', 'https://127.0.0.1:1'), pod, 'c');
    for (const run of standInRunners({ lockexecPath: '/nonexistent' }))
      assert.equal(await run(ctx), undefined);
  });
});

describe('component flags', () => {
  it('reads both spellings, booleans and Go durations', () => {
    const f = parseComponentFlags([
      '--kubeconfig',
      '/a',
      '--leader-elect',
      '--leader-elect-lease-duration=1m30s',
      '--v=2',
      '--leader-elect-retry-period',
      '250ms',
    ]);
    assert.equal(f.get('kubeconfig'), '/a');
    assert.equal(f.bool('leader-elect', false), true);
    assert.equal(f.durationMs('leader-elect-lease-duration', 0), 90_000);
    assert.equal(f.durationMs('leader-elect-retry-period', 0), 250);
    assert.equal(f.durationMs('leader-elect-renew-deadline', 10_000), 10_000);
    assert.equal(parseComponentFlags(['--leader-elect=false']).bool('leader-elect', true), false);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.throws(() => parseGoDuration('15'), /invalid duration/);
  });

  it('maps the values of chosen flags only', () => {
    const out = mapFlagValues(
      ['--tls-cert-file=/etc/a', '--client-ca-file', '/etc/b', '--other=/etc/c'],
      new Set(['tls-cert-file', 'client-ca-file']),
      (_, v) => `/root${v}`,
    );
    assert.deepEqual(out, [
      '--tls-cert-file=/root/etc/a',
      '--client-ca-file',
      '/root/etc/b',
      '--other=/etc/c',
    ]);
  });
});
