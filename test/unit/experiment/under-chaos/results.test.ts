import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJunit, parseTap } from '../../../../src/experiment/under-chaos/results.js';

const NODE_TAP = `TAP version 13
# Subtest: cart
    # Subtest: adds
    ok 1 - adds
      ---
      duration_ms: 0.3
      ...
    # Subtest: taxes
    not ok 2 - taxes
      ---
      duration_ms: 0.4
      location: '/app/test/cart.test.mjs:11:3'
      failureType: 'testCodeFailure'
      error: 'injected: pricing down'
      code: 'ERR_TEST_FAILURE'
      stack: |-
        totalWithTax (file:///app/lib/cart.mjs:15:40)
        TestContext.<anonymous> (file:///app/test/cart.test.mjs:12:22)
      ...
    1..2
not ok 1 - cart
  ---
  duration_ms: 1.2
  failureType: 'subtestsFailed'
  error: '1 subtest failed'
  ...
# Subtest: skipped one
ok 2 - skipped one # SKIP not today
# Subtest: a \\# hash
ok 3 - a \\# hash
ok 4 - same
ok 5 - same
1..5
# tests 5
`;

describe('parseTap', () => {
  it('reads node --test output: subtests, diagnostics, skips, escapes, repeated names', () => {
    const r = parseTap(NODE_TAP);
    expect(r.map((t) => [t.name, t.status])).toEqual([
      ['cart › adds', 'pass'],
      ['cart › taxes', 'fail'],
      ['skipped one', 'skip'],
      ['a # hash', 'pass'],
      ['same', 'pass'],
      ['same #2', 'pass'],
    ]);
    const taxes = r[1];
    expect(taxes?.message).toBe('injected: pricing down');
    expect(taxes?.location).toBe('/app/test/cart.test.mjs:11:3');
    expect(taxes?.stack).toContain('totalWithTax (file:///app/lib/cart.mjs:15:40)');
  });

  it('lists a failing parent whose children all passed (a failing hook) and keeps orphans of a killed run', () => {
    const r = parseTap('    ok 1 - child\nnot ok 1 - parent\n  ---\n  error: hook failed\n  ...\n    ok 1 - orphan\n');
    expect(r.map((t) => [t.name, t.status, t.message])).toEqual([
      ['parent', 'fail', 'hook failed'],
      ['parent › child', 'pass', undefined],
      ['orphan', 'pass', undefined],
    ]);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (s) => Array.isArray(parseTap(s))), { numRuns: 300 });
  });
});

describe('parseJunit', () => {
  it('reads vitest / jest-junit style XML', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="4" failures="1">
  <testsuite name="test/cart.test.ts" tests="4">
    <testcase classname="test/cart.test.ts" name="cart &gt; adds" time="0.001"></testcase>
    <testcase classname="test/cart.test.ts" name="cart &gt; taxes" time="0.002">
      <failure message="expected 14.4 to be 30" type="AssertionError"><![CDATA[AssertionError: expected 14.4 to be 30
 ❯ test/cart.test.ts:12:5]]></failure>
    </testcase>
    <testcase classname="test/cart.test.ts" name="later"><skipped/></testcase>
    <testcase name="bare" classname=""/>
    <!-- <testcase name="commented out"/> -->
  </testsuite>
</testsuites>`;
    const r = parseJunit(xml);
    expect(r.map((t) => [t.name, t.status])).toEqual([
      ['test/cart.test.ts › cart > adds', 'pass'],
      ['test/cart.test.ts › cart > taxes', 'fail'],
      ['test/cart.test.ts › later', 'skip'],
      ['bare', 'pass'],
    ]);
    expect(r[1]?.message).toBe('expected 14.4 to be 30');
    expect(r[1]?.stack).toContain('test/cart.test.ts:12:5');
  });

  it('takes the message from the element text when the attribute is missing (<error>)', () => {
    const r = parseJunit('<testcase name="t"><error>Error: boom\n at x</error></testcase>');
    expect(r).toEqual([{ name: 't', status: 'fail', message: 'Error: boom', stack: 'Error: boom\n at x' }]);
  });
});
