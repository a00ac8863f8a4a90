/**
 * The deployed pipeline keeps the design's rules (test/cdk/rules): every rule holds on the dev-sized
 * stack and on one with every setting overridden. That the rules can fail at all is shown by
 * design-rules-mutations.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { PipelineVariant } from '../setup/cdk-pipeline.js';
import { pipeline } from './pipeline.js';
import { isDurable, streamMappings } from './rules/facts.js';
import { DESIGN_RULES } from './rules/index.js';
import { STREAM_CONSUMERS } from './rules/mapping-rules.js';

describe.each<PipelineVariant>(['default', 'overridden'])('the %s stack', (variant) => {
  it.each(DESIGN_RULES.map((rule) => [rule.id, rule] as const))('keeps %s', (_id, rule) => {
    expect(rule.check(pipeline(variant)), rule.says).toEqual([]);
  });

  it('has the durable consumers the design names, and live push best-effort', () => {
    // The durable rules apply to whatever writes OpenSearch or rollups; pin which consumers those are,
    // so the durable rules cannot hold vacuously.
    const subject = pipeline(variant);
    const durable = streamMappings(subject)
      .filter((mapping) => isDurable(subject, mapping))
      .map((mapping) => mapping.consumer)
      .sort();
    expect(durable).toEqual(['indexer', 'rollup-writer']);
    expect(
      streamMappings(subject)
        .map((m) => m.consumer)
        .sort(),
    ).toEqual([...STREAM_CONSUMERS].sort());
  });
});
