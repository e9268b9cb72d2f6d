// The template engine (src/render/template.ts): every construct, its errors, and that values are
// data, never YAML text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { fillTemplate, loadTemplate, renderTemplate, toYaml } from '../../src/render/template.js';

/** Fills the single document of an inline template. */
function fill(text: string, values: object): unknown {
  return fillTemplate(parse(text), values, 'inline.yaml');
}

describe('fillTemplate', () => {
  it('replaces an exact ${path} by the value, whatever its type', () => {
    const values = {
      s: 'text',
      n: 6443,
      b: false,
      nested: { list: ['a', 'b'], map: { k: 'v' } },
    };
    const out = fill(
      'a: ${s}\nb: ${n}\nc: ${b}\nd: ${nested.list}\ne: ${nested.map}\nf: "${nested.map.k}"\n',
      values,
    );
    assert.deepEqual(out, { a: 'text', b: 6443, c: false, d: ['a', 'b'], e: { k: 'v' }, f: 'v' });
  });

  it('interpolates inside longer strings and keys, and keeps $${ literal', () => {
    const out = fill(
      'cmd: --secure-port=${port} --tls=${on}\n${key}/role: x\nlit: $${NODE_NAME} and $(POD_IP)\n',
      { port: 6443, on: true, key: 'node-role.kubernetes.io' },
    );
    assert.deepEqual(out, {
      cmd: '--secure-port=6443 --tls=true',
      'node-role.kubernetes.io/role': 'x',
      lit: '${NODE_NAME} and $(POD_IP)',
    });
  });

  it('refuses to interpolate an array or object into a string', () => {
    assert.throws(
      () => fill('a: x-${list}\n', { list: [1] }),
      /inline\.yaml.*at a.*needs a string, number or boolean/,
    );
  });

  it('splices ${...path} sequence items, zero or more', () => {
    const text = 'args:\n  - first\n  - ${...more}\n  - last\n';
    assert.deepEqual(fill(text, { more: ['x', 'y'] }), { args: ['first', 'x', 'y', 'last'] });
    assert.deepEqual(fill(text, { more: [] }), { args: ['first', 'last'] });
    assert.throws(() => fill(text, { more: 'x' }), /needs an array/);
    assert.throws(() => fill('a: ${...more}\n', { more: [] }), /only allowed as a sequence item/);
  });

  it('splices $items when $if holds and drops them otherwise', () => {
    const text =
      'flags:\n  - a\n  - $if: tls\n    $items:\n      - --cafile=${ca}\n      - ${...extra}\n  - z\n';
    assert.deepEqual(fill(text, { tls: true, ca: '/ca', extra: ['e'] }), {
      flags: ['a', '--cafile=/ca', 'e', 'z'],
    });
    assert.deepEqual(fill(text, { tls: false, ca: '/ca', extra: ['e'] }), { flags: ['a', 'z'] });
  });

  it('keeps a conditional sequence mapping without its $if/$unless key, or drops it', () => {
    const text = 'env:\n  - $unless: ipv6\n    name: IP\n    value: autodetect\n  - name: B\n';
    assert.deepEqual(fill(text, { ipv6: false }), {
      env: [{ name: 'IP', value: 'autodetect' }, { name: 'B' }],
    });
    assert.deepEqual(fill(text, { ipv6: true }), { env: [{ name: 'B' }] });
  });

  it('sets or omits a mapping key with { $if, $value }', () => {
    const text = 'spec:\n  cloud:\n    $if: provider\n    $value: --cloud-provider=${provider}\n  other: 1\n';
    assert.deepEqual(fill(text, { provider: 'external' }), {
      spec: { cloud: '--cloud-provider=external', other: 1 },
    });
    assert.deepEqual(fill(text, { provider: '' }), { spec: { other: 1 } });
  });

  it('treats empty arrays, empty strings, 0 and null as false', () => {
    const text = 'a:\n  $if: v\n  $value: yes-it-is\n';
    for (const v of [[], '', 0, null, false]) assert.deepEqual(fill(text, { v }), {});
    for (const v of [['x'], 'x', 1, {}, true]) assert.deepEqual(fill(text, { v }), { a: 'yes-it-is' });
  });

  it('drops a whole document whose top-level $if is false', () => {
    const [doc] = parseAllDocuments('$if: flannel\nkind: DaemonSet\nmetadata:\n  name: ${name}\n').map((d) =>
      d.toJS(),
    );
    assert.equal(fillTemplate(doc, { flannel: false, name: 'f' }, 'x.yaml'), undefined);
    assert.deepEqual(fillTemplate(doc, { flannel: true, name: 'f' }, 'x.yaml'), {
      kind: 'DaemonSet',
      metadata: { name: 'f' },
    });
  });

  it('rejects malformed conditionals', () => {
    assert.throws(() => fill('a:\n  $items: [1]\n', {}), /"\$items" needs "\$if" or "\$unless"/);
    assert.throws(() => fill('a:\n  $if: x\n  $items: [1]\n', { x: true }), /only allowed in a sequence/);
    assert.throws(() => fill('a:\n  $if: x\n  $value: 1\n  b: 2\n', { x: true }), /cannot have sibling keys/);
    assert.throws(() => fill('a:\n  $if: x\n  $unless: x\n', { x: true }), /both/);
  });

  it('names the template, the place and the path of an unknown value', () => {
    const doc = parse('spec:\n  containers:\n    - command:\n        - --port=${apiServer.prot}\n');
    assert.throws(
      () => fillTemplate(doc, { apiServer: { port: 1 } }, 'manifests/x.yaml'),
      (err: Error) =>
        err.message.includes('manifests/x.yaml') &&
        err.message.includes('spec.containers[0].command[0]') &&
        err.message.includes('"apiServer.prot"'),
    );
    assert.throws(() => fill('a: ${missing}\n', {}), /unknown value path "missing"/);
    assert.throws(() => fill('a:\n  $if: missing\n  $value: 1\n', {}), /unknown value path "missing"/);
    assert.throws(() => fill('a: ${toString}\n', {}), /unknown value path "toString"/);
    assert.throws(() => fill('a: ${bad path}\n', {}), /malformed value path/);
  });

  it('never lets a value inject YAML structure', () => {
    const evil = 'x: 1\nkind: Secret\n- item\n# comment\n---\nb: "q"';
    const out = fill('metadata:\n  name: ${evil}\n  label: pre-${evil}\n', { evil }) as { metadata: object };
    assert.deepEqual(Object.keys(out.metadata), ['name', 'label']);
    const text = toYaml([out]);
    const back = parseAllDocuments(text).map((d) => d.toJS());
    assert.equal(back.length, 1);
    assert.deepEqual(back[0], { metadata: { name: evil, label: `pre-${evil}` } });
  });

  it('copies inserted values: no aliases in the output, the values untouched', () => {
    const shared = { a: ['1'] };
    const out = fill('x: ${shared}\ny: ${shared}\nz:\n  - ${...shared.a}\n', { shared });
    const text = toYaml([out]);
    assert.doesNotMatch(text, /[&*]a\d/);
    (out as { x: { a: string[] } }).x.a.push('2');
    assert.deepEqual(shared, { a: ['1'] });
  });

  it('refuses values that are not plain data', () => {
    assert.throws(() => fill('a: ${u}\n', { u: new URL('https://x') }), /not plain data/);
  });
});

describe('loadTemplate and renderTemplate', () => {
  it('parses once, caches and freezes', () => {
    const a = loadTemplate('auth/kubeconfig.yaml');
    assert.equal(loadTemplate('auth/kubeconfig.yaml'), a);
    assert.ok(Object.isFrozen(a[0]));
  });

  it('stays inside templates/', () => {
    assert.throws(() => loadTemplate('../package.json'), /inside templates/);
    assert.throws(() => loadTemplate('/etc/passwd'), /inside templates/);
  });

  it('leaves out documents whose $if is false', () => {
    const values = { network: { calico: false }, namespace: 'kube-system' };
    assert.deepEqual(renderTemplate('manifests/calico-sa.yaml', values), []);
    const docs = renderTemplate('manifests/calico-sa.yaml', { ...values, network: { calico: true } });
    assert.deepEqual(
      docs.map((d) => (d as { metadata: { name: string } }).metadata.name),
      ['calico-node', 'calico-cni-plugin'],
    );
  });
});

describe('toYaml', () => {
  it('separates documents with ---', () => {
    assert.equal(toYaml([{ a: 1 }, { b: 2 }]), 'a: 1\n---\nb: 2\n');
  });

  it('quotes strings a YAML 1.1 or 1.2 reader would take for something else', () => {
    const value = {
      list: ['on', 'no', 'y', '0o17', '0777', '1.32', '1e3', '1_000', '1:20', '2024-01-02', 'null', '~'],
    };
    const text = toYaml([value]);
    assert.deepEqual(parse(text, { version: '1.1' }), value);
    assert.deepEqual(parse(text, { version: '1.2' }), value);
    assert.match(toYaml([{ a: 'v1.32', b: '10.3.0.10' }]), /^a: v1\.32\nb: 10\.3\.0\.10\n$/);
  });

  it('writes multi-line strings as block literals', () => {
    assert.equal(toYaml([{ c: '.:53 {\n    errors\n}\n' }]), 'c: |\n  .:53 {\n      errors\n  }\n');
  });
});
