// Label selectors: kube-apiserver's grammar and matching rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SelectorError,
  labelSelectorFromObject,
  matchesLabels,
  parseLabelSelector,
} from '../../../src/apiserver/selectors/index.js';

const matches = (selector: string, labels?: Record<string, string>) =>
  matchesLabels(parseLabelSelector(selector), labels);

test('equality: =, == and != (a missing label is != anything)', () => {
  assert.equal(matches('app=web', { app: 'web' }), true);
  assert.equal(matches('app==web', { app: 'web' }), true);
  assert.equal(matches('app=web', { app: 'db' }), false);
  assert.equal(matches('app!=web', { app: 'db' }), true);
  assert.equal(matches('app!=web', {}), true);
  assert.equal(matches('app=web', undefined), false);
  assert.equal(matches('app=', { app: '' }), true);
});

test('sets: in and notin, with spaces anywhere', () => {
  assert.equal(matches('env in (prod, staging)', { env: 'staging' }), true);
  assert.equal(matches('env in (prod,staging)', { env: 'dev' }), false);
  assert.equal(matches('env notin (prod)', { env: 'dev' }), true);
  assert.equal(matches('env notin (prod)', {}), true);
  assert.equal(matches('env notin (prod)', { env: 'prod' }), false);
});

test('existence: key and !key', () => {
  assert.equal(
    matches('node-role.kubernetes.io/control-plane', { 'node-role.kubernetes.io/control-plane': '' }),
    true,
  );
  assert.equal(matches('!node-role.kubernetes.io/control-plane', {}), true);
  assert.equal(matches('!gpu', { gpu: 'yes' }), false);
});

test('all requirements must hold; the empty selector selects everything', () => {
  assert.equal(matches('app=web,tier in (fe),!canary', { app: 'web', tier: 'fe' }), true);
  assert.equal(matches('app=web,tier in (fe),!canary', { app: 'web', tier: 'fe', canary: '1' }), false);
  assert.equal(matches('', {}), true);
  assert.deepEqual(parseLabelSelector('').requirements, []);
});

test('gt and lt compare integers', () => {
  assert.equal(matches('rank>5', { rank: '7' }), true);
  assert.equal(matches('rank<5', { rank: '7' }), false);
  assert.equal(matches('rank>5', { rank: 'x' }), false);
});

test('malformed selectors are SelectorErrors', () => {
  for (const bad of [
    'app=web,',
    '=web',
    'app in prod',
    'app in ()',
    'app=a b',
    'bad key!=x',
    'a=b=c',
    'app=-web',
    'rank>x',
  ]) {
    assert.throws(
      () => parseLabelSelector(bad),
      (err: unknown) => err instanceof SelectorError && err.code === 'SELECTOR_INVALID',
      bad,
    );
  }
});

test('a metav1.LabelSelector object: matchLabels and matchExpressions', () => {
  const sel = labelSelectorFromObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['fe', 'be'] },
      { key: 'canary', operator: 'DoesNotExist' },
    ],
  })!;
  assert.equal(matchesLabels(sel, { app: 'web', tier: 'be' }), true);
  assert.equal(matchesLabels(sel, { app: 'web', tier: 'be', canary: 'y' }), false);
  assert.equal(labelSelectorFromObject(undefined), null);
  assert.throws(
    () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Like' }] }),
    SelectorError,
  );
});
