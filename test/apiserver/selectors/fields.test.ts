// Field selectors: the labels each kind accepts, the real server's refusals, and the values matched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../../../src/apiserver/registry/index.js';
import { SelectorError, matchesFields, parseFieldSelector } from '../../../src/apiserver/selectors/index.js';

const reg = createRegistry();
const info = (group: string, plural: string) => reg.lookup(group, 'v1', plural)!;
const pods = info('', 'pods');
const services = info('', 'services');
const nodes = info('', 'nodes');
const events = info('', 'events');

const matches = (selector: string, obj: object, r = pods) =>
  matchesFields(parseFieldSelector(selector, r), obj, r);

function refusal(message: string) {
  return (err: unknown) =>
    err instanceof SelectorError && err.code === 'SELECTOR_INVALID' && err.message === message;
}

test("the kubelet's pod source: spec.nodeName=<node>", () => {
  const pod = {
    metadata: { name: 'p', namespace: 'default' },
    spec: { nodeName: 'node1' },
    status: { phase: 'Running' },
  };
  assert.equal(matches('spec.nodeName=node1', pod), true);
  assert.equal(matches('spec.nodeName=node2', pod), false);
  assert.equal(matches('spec.nodeName=', { spec: {} }), true, 'an unscheduled pod has nodeName ""');
  assert.equal(matches('spec.host=node1', pod), true, 'the legacy alias of spec.nodeName');
  assert.equal(matches('status.phase!=Succeeded,status.phase!=Failed', pod), true);
  assert.equal(matches('metadata.namespace=default,metadata.name=p', pod), true);
  assert.equal(matches('spec.hostNetwork=false', pod), true, 'a Go bool reads false when unset');
  assert.equal(matches('status.podIP=10.0.0.5', { status: { podIPs: [{ ip: '10.0.0.5' }] } }), true);
});

test("the kubelet's services watch: spec.clusterIP!=None keeps ExternalName services", () => {
  assert.equal(matches('spec.clusterIP!=None', { spec: { clusterIP: '10.96.0.1' } }, services), true);
  assert.equal(matches('spec.clusterIP!=None', { spec: { clusterIP: 'None' } }, services), false);
  assert.equal(matches('spec.clusterIP!=None', { spec: { type: 'ExternalName' } }, services), true);
});

test('nodes: metadata.name and spec.unschedulable, and no namespace field', () => {
  assert.equal(matches('metadata.name=n1', { metadata: { name: 'n1' } }, nodes), true);
  assert.equal(matches('spec.unschedulable=false', { spec: {} }, nodes), true);
  assert.equal(matches('spec.unschedulable=true', { spec: { unschedulable: true } }, nodes), true);
  assert.throws(
    () => parseFieldSelector('metadata.namespace=x', nodes),
    refusal('field label not supported: metadata.namespace'),
  );
});

test('events: involvedObject fields, source, type; events.k8s.io spells them its own way', () => {
  const event = {
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u1' },
    reason: 'Pulled',
    type: 'Normal',
    source: { component: 'kubelet', host: 'node1' },
  };
  assert.equal(
    matches('involvedObject.kind=Pod,involvedObject.name=p,involvedObject.uid=u1', event, events),
    true,
  );
  assert.equal(matches('source=kubelet,type=Normal,reason=Pulled', event, events), true);
  const v1 = info('events.k8s.io', 'events');
  assert.equal(
    matches('regarding.name=p,reason=Pulled', event, v1),
    true,
    'a stored core Event, selected through events.k8s.io',
  );
  assert.equal(matches('regarding.name=p', { regarding: { name: 'p' } }, v1), true);
  assert.throws(
    () => parseFieldSelector('involvedObject.name=p', v1),
    refusal('field label not supported: involvedObject.name'),
  );
});

test('unsupported fields are refused with the real server words', () => {
  assert.throws(
    () => parseFieldSelector('spec.restartPolicy=Always', services),
    refusal('field label not supported: spec.restartPolicy'),
  );
  assert.throws(() => parseFieldSelector('foo=bar', pods), refusal('field label not supported: foo'));
  // kinds without a field label conversion func (all of apps, CRs without selectableFields)
  const deployments = reg.lookup('apps', 'v1', 'deployments')!;
  assert.throws(
    () => parseFieldSelector('status.replicas=1', deployments),
    refusal('"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'),
  );
  assert.equal(matches('metadata.name=d', { metadata: { name: 'd' } }, deployments), true);
});

test('syntax: terms without an operator are refused; escapes and == work', () => {
  assert.throws(
    () => parseFieldSelector('spec.nodeName', pods),
    refusal("invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'"),
  );
  assert.equal(matches('metadata.name==a\\,b', { metadata: { name: 'a,b' } }), true);
  assert.throws(
    () => parseFieldSelector('metadata.name=a=b', pods),
    refusal('invalid field selector: unescaped character in value: 61'),
  );
  assert.throws(
    () => parseFieldSelector('metadata.name=a\\x', pods),
    refusal('invalid field selector: invalid escape sequence: \\x'),
  );
  assert.equal(matches('', {}), true);
});

test('custom resources select on their CRD selectableFields', () => {
  const r = createRegistry();
  r.syncCustomResources([
    {
      metadata: { name: 'shirts.stable.example.com' },
      spec: {
        group: 'stable.example.com',
        scope: 'Namespaced',
        names: { plural: 'shirts', kind: 'Shirt' },
        versions: [
          { name: 'v1', served: true, storage: true, selectableFields: [{ jsonPath: '.spec.color' }] },
        ],
      },
    },
  ]);
  const shirts = r.lookup('stable.example.com', 'v1', 'shirts')!;
  assert.equal(matches('spec.color=blue', { spec: { color: 'blue' } }, shirts), true);
  assert.throws(() => parseFieldSelector('spec.size=M', shirts), SelectorError);
});
