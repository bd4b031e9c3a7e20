import { afterEach, describe, expect, it } from 'vitest';
import { bindCard, missingBindings } from '../../../../src/experiment/cards/bind.js';
import { BUILTIN_CARDS_DIR, cardFiles, findCardOrThrow, loadCatalogue, readCards } from '../../../../src/experiment/cards/load.js';
import { SCENARIOS } from '../../../../src/experiment/cards/types.js';
import { cardFolders } from './fakes.js';

const { tmp, cleanup } = cardFolders();
afterEach(cleanup);

const GOOD = `
id: my-card
title: My card
category: network
scenario: network-latency
risk: 1.2
status: ready
injection:
  layer: proxy
  kind: latency
  target: { proxy: "{proxy}" }
  params: { latency: "{ms:250}", jitter: 10 }
  duration: 2s
  ttl: 10s
detection: { signal: p99LatencyMs, above: 200, within: 3s }
remediation: add a timeout
verification: [p99 rises]
rollback: [errors above 50 %]
slo: { detectMs: 3s, recoverMs: 5s }
`;

const asListItem = (card: string): string =>
  card
    .trim()
    .split('\n')
    .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
    .join('\n');

describe('built-in catalogue', () => {
  it('loads, every card valid, covering the 13 scenarios and the 10 incident kinds', () => {
    const r = readCards(cardFiles(BUILTIN_CARDS_DIR));
    expect(r.problems).toEqual([]);
    const cards = loadCatalogue();
    expect(cards.length).toBeGreaterThanOrEqual(SCENARIOS.length);
    for (const s of SCENARIOS) expect(cards.some((c) => c.scenario === s), s).toBe(true);
    expect(new Set(cards.map((c) => c.id)).size).toBe(cards.length);
  });

  it('is honest about status: partial cards say how, needs-mechanism cards say what is missing and have no injection', () => {
    const cards = loadCatalogue();
    for (const c of cards.filter((x) => x.status === 'partial')) expect(c.approximation?.length, c.id).toBeGreaterThan(30);
    for (const c of cards.filter((x) => x.status === 'needs-mechanism')) {
      expect(c.missing?.length, c.id).toBeGreaterThan(30);
      expect(c.injection).toBeUndefined();
    }
    for (const c of cards.filter((x) => x.status !== 'needs-mechanism')) expect(c.injection!.ttlMs).toBeGreaterThanOrEqual(c.injection!.durationMs);
    expect(cards.filter((c) => c.status === 'ready').length).toBeGreaterThan(10);
  });

  it('maps incidents to real mechanisms (crash → kill, heartbeat loss → pause, packet loss → loss)', () => {
    const cards = loadCatalogue();
    expect(findCardOrThrow(cards, 'process-crash').injection).toMatchObject({ layer: 'process', kind: 'kill' });
    expect(findCardOrThrow(cards, 'heartbeat-loss').injection).toMatchObject({ layer: 'process', kind: 'pause' });
    expect(findCardOrThrow(cards, 'packet-loss').injection).toMatchObject({ layer: 'network', kind: 'loss' });
    expect(() => findCardOrThrow(cards, 'nope')).toThrow(expect.objectContaining({ code: 'FL_ERR_CARD_NOT_FOUND' }));
  });
});

describe('card files', () => {
  it('accepts one card, a list, {cards: [...]} and several documents; user dirs add to the built-in ones', () => {
    const d = tmp({
      'a.yaml': GOOD,
      'b.yml': `cards:\n${asListItem(GOOD.replace('my-card', 'card-b'))}`,
      'c.yaml': `${GOOD.replace('my-card', 'card-c')}\n---\n${GOOD.replace('my-card', 'card-d')}`,
    });
    const r = readCards(cardFiles(d));
    expect(r.problems).toEqual([]);
    expect(r.cards.map((c) => c.id).sort()).toEqual(['card-b', 'card-c', 'card-d', 'my-card']);
    expect(loadCatalogue([d]).length).toBe(loadCatalogue().length + 4);
    expect(loadCatalogue([d], { builtin: false })).toHaveLength(4);
  });

  it('a broken card names file:line:col and the field', () => {
    const bad = GOOD.replace('risk: 1.2', 'risk: -1').replace('signal: p99LatencyMs', 'signal: p99').replace('kind: latency', 'kind: lag');
    const d = tmp({ 'bad.yaml': bad });
    const r = readCards(cardFiles(d));
    const by = Object.fromEntries(r.problems.map((p) => [p.field, p]));
    expect(by.risk?.at).toMatch(/bad\.yaml:6:7$/);
    expect(by['detection.signal']?.at).toMatch(/bad\.yaml:15:22$/);
    expect(by['injection.kind']?.at).toMatch(/bad\.yaml:10:9$/);
    expect(by['injection.kind']?.message).toContain('latency');
    expect(() => loadCatalogue([d])).toThrow(expect.objectContaining({ code: 'FL_ERR_CARD_INVALID' }));
  });

  it('names missing fields, unknown fields, a partial card without approximation, a TTL shorter than the hold, duplicates and YAML errors', () => {
    const d = tmp({
      'x.yaml': GOOD.replace('status: ready', 'status: partial').replace('title: My card\n', 'titel: My card\n').replace('ttl: 10s', 'ttl: 1s'),
      'y.yaml': GOOD,
      'z.yaml': GOOD,
      'w.yaml': 'id: [unclosed\n',
    });
    const r = readCards(cardFiles(d));
    const fields = r.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['titel', 'title', 'approximation', 'injection.ttl', '(yaml)']));
    expect(r.problems.find((p) => p.field === 'id')?.message).toMatch(/duplicate/);
    expect(r.problems.find((p) => p.field === '(yaml)')?.at).toMatch(/w\.yaml:\d+:\d+$/);
  });
});

describe('bindings', () => {
  it('binds cardVariables, keeps defaults, turns numeric whole variables into numbers', () => {
    const d = tmp({ 'a.yaml': GOOD });
    const [card] = loadCatalogue([d], { builtin: false });
    expect(missingBindings(card!, {})).toEqual(['proxy']);
    expect(() => bindCard(card!, {})).toThrow(expect.objectContaining({ code: 'FL_ERR_CARD_BINDING', context: expect.objectContaining({ missing: ['proxy'] }) }));
    const req = bindCard(card!, { proxy: 'pricing' });
    expect(req).toMatchObject({ layer: 'proxy', kind: 'latency', target: { proxy: 'pricing' }, params: { latency: 250, jitter: 10 }, ttlMs: 10_000 });
    expect(bindCard(card!, { proxy: 'p', ms: '400' }).params.latency).toBe(400);
  });

  it('refuses needs-mechanism cards', () => {
    const c = findCardOrThrow(loadCatalogue(), 'secret-in-logs');
    expect(() => bindCard(c, {})).toThrow(expect.objectContaining({ code: 'FL_ERR_CARD_NOT_RUNNABLE' }));
  });
});
