// The YAML writer reproduces go-yaml v2 (sigs.k8s.io/yaml) output, which `istioctl kube-inject` prints.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { goYamlKeyLess, goYamlMarshal } from './go-yaml.js';

const test = suite('goYamlMarshal');

test('strings that YAML 1.1 would read as something else are double-quoted', () => {
  assert.is(goYamlMarshal({ a: '15001', b: 'true', c: 'on', d: '', e: '1e3', f: '0x1F', g: '2024-01-02', h: '1:30' }), [
    'a: "15001"', 'b: "true"', 'c: "on"', 'd: ""', 'e: "1e3"', 'f: "0x1F"', 'g: "2024-01-02"', 'h: "1:30"', '',
  ].join('\n'));
});

test('indicators force single quotes; plain stays plain where YAML allows', () => {
  assert.is(goYamlMarshal({ a: '*', b: '{"x":1}', c: '-p', d: 'a: b', e: 'a:b', f: '$(POD_NAMESPACE).svc', g: "it's" }), [
    "a: '*'", `b: '{"x":1}'`, 'c: -p', "d: 'a: b'", 'e: a:b', 'f: $(POD_NAMESPACE).svc', "g: it's", '',
  ].join('\n'));
});

test('multi-line strings become literal blocks with the right chomping', () => {
  assert.is(goYamlMarshal({ keep: '{}\n', strip: '[\n]' }), 'keep: |\n  {}\nstrip: |-\n  [\n  ]\n');
});

test('sequences sit at their key’s indentation; empty collections are flow style', () => {
  assert.is(goYamlMarshal({ list: [{ b: 1, a: [] }, 'x'], map: {}, z: null }), 'list:\n- a: []\n  b: 1\n- x\nmap: {}\nz: null\n');
  // Keys follow the same quoting rule: go-yaml reads a bare `n` as false.
  assert.is(goYamlMarshal({ n: 1 }), '"n": 1\n');
});

test('long plain and single-quoted strings fold at spaces past column 80', () => {
  const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
  const text = goYamlMarshal({ description: words });
  const lines = text.trimEnd().split('\n');
  assert.ok(lines.length > 1);
  assert.ok(lines.slice(1).every((line) => line.startsWith('  ')));
  assert.is(lines.map((line) => line.trim()).join(' '), `description: ${words}`);
});

test('keys sort like go-yaml: non-letters before letters, digit runs by value', () => {
  const sorted = ['b', 'a10', 'a2', 'a-b', 'ab', 'A'].sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0));
  assert.equal(sorted, ['A', 'a-b', 'a2', 'a10', 'ab', 'b']);
});

test.run();
