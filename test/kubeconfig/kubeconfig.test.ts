// Reading a kubeconfig's current context (src/kubeconfig): inline data and files relative to the
// kubeconfig, tokens, the context chosen, and one clear error for a file that is not usable.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeconfigError, readKubeconfig } from '../../src/kubeconfig/index.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'))));
after(() => rm(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');
const write = async (name: string, text: string) => {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
};

describe('readKubeconfig', () => {
  it('reads the current context: inline CA, client certificate from files beside it', async () => {
    await write('node.crt', 'CERT PEM');
    await write('node.key', 'KEY PEM');
    const file = await write(
      'a.yaml',
      `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: "https://10.9.9.9:6443"}
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${b64('CA PEM')}
users:
- name: kubelet
  user:
    client-certificate: node.crt
    client-key: ./node.key
contexts:
- name: other
  context: {cluster: other, user: kubelet}
- name: mine
  context: {cluster: local, user: kubelet}
current-context: mine
`,
    );
    const kc = await readKubeconfig(file);
    assert.equal(kc.server.href, 'https://127.0.0.1:6443/');
    assert.equal(kc.ca, 'CA PEM');
    assert.equal(kc.cert, 'CERT PEM');
    assert.equal(kc.key, 'KEY PEM');
    assert.equal(kc.token, undefined);
    assert.equal(kc.insecureSkipTlsVerify, false);
  });

  it('reads a token and insecure-skip-tls-verify; without current-context, the first context', async () => {
    const file = await write(
      'b.yaml',
      `clusters: [{name: c, cluster: {server: "https://api.example:443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc.def}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
`,
    );
    const kc = await readKubeconfig(file);
    assert.equal(kc.token, 'abc.def');
    assert.equal(kc.insecureSkipTlsVerify, true);
  });

  it('refuses, with the file named, YAML that does not parse, no server, a missing certificate file', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['bad.yaml', 'clusters: [unclosed', /^kubeconfig .*bad\.yaml: /],
      ['noserver.yaml', 'clusters: [{name: c, cluster: {}}]\n', /has no current cluster with a server/],
      [
        'missing.yaml',
        'clusters: [{name: c, cluster: {server: "https://a:1", certificate-authority: nope.crt}}]\n',
        /cannot read nope\.crt/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const file = await write(name, text);
      await assert.rejects(readKubeconfig(file), (err: Error) => {
        assert.ok(err instanceof KubeconfigError, err.message);
        assert.match(err.message, message);
        return true;
      });
    }
  });
});
