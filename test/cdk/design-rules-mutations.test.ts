/**
 * The design rules are not echoes: each one FAILS when the stack breaks it. A topology (or construct)
 * is deliberately made wrong with vi.doMock and the stack synthesized from it; settings no topology
 * entry controls are made wrong on a copy of the shared template. Each time the rule must name the
 * broken resource (test/cdk/mutations).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { edited, TEMPLATE_EDITS } from './mutations/template-edits.js';
import {
  type Alarms,
  TOPOLOGY_MUTATIONS,
  type Topology,
  type TopologyMutation,
} from './mutations/topology-mutations.js';
import { pipeline } from './pipeline.js';
import type { Subject } from './rules/facts.js';
import { DESIGN_RULES, violations } from './rules/index.js';

const TOPOLOGY = '../../lib/topology.js';
const ALARMS = '../../lib/constructs/pipeline-alarms.js';

/** Synthesizes the real stack with `lib/topology.ts` (and optionally the alarms construct) replaced. */
async function synthesizeWith({
  topology,
  alarms,
}: Pick<TopologyMutation, 'topology' | 'alarms'>): Promise<Subject> {
  vi.resetModules();
  if (topology) {
    vi.doMock(TOPOLOGY, async (importOriginal) => {
      const original = await importOriginal<Topology>();
      return { ...original, ...topology(original) };
    });
  }
  if (alarms) {
    vi.doMock(ALARMS, async (importOriginal) => {
      const original = await importOriginal<Alarms>();
      return { ...original, ...alarms(original) };
    });
  }
  const { synthPipeline, pipelineIds } = await import('./synth.js');
  // The shared template is checked for dependency cycles; these only feed the rules.
  const { stack, template } = synthPipeline({}, { checkCycles: false });
  return { template, ids: pipelineIds(stack) };
}

beforeAll(async () => {
  // A worker's first synthesis loads aws-cdk-lib's constructs, seconds on a busy core: pay it here,
  // once, with the unchanged topology, so each mutation below costs only its own synthesis.
  await synthesizeWith({});
});

afterEach(() => {
  vi.doUnmock(TOPOLOGY);
  vi.doUnmock(ALARMS);
});

describe('a wrong topology or construct breaks the rule it violates', () => {
  it.each(TOPOLOGY_MUTATIONS.map((m) => [m.wrong, m] as const))('%s', async (_wrong, mutation) => {
    const found = violations(await synthesizeWith(mutation));
    expect(found[mutation.breaks], `violations found: ${JSON.stringify(found, null, 1)}`).toEqual(
      expect.arrayContaining([expect.stringMatching(mutation.names)]),
    );
  });
});

describe('a wrong setting in the template breaks the rule it violates', () => {
  it.each(TEMPLATE_EDITS.map((m) => [m.wrong, m] as const))('%s', (_wrong, mutation) => {
    const found = violations(edited(pipeline(), mutation.edit));
    expect(found[mutation.breaks], `violations found: ${JSON.stringify(found, null, 1)}`).toEqual(
      expect.arrayContaining([expect.stringMatching(mutation.names)]),
    );
  });
});

it('proves every design rule can fail', () => {
  const proven = new Set([...TOPOLOGY_MUTATIONS, ...TEMPLATE_EDITS].map((m) => m.breaks));
  expect(DESIGN_RULES.map((rule) => rule.id).filter((id) => !proven.has(id))).toEqual([]);
});
