/**
 * The command-line tools find a deployed stage's resources through the stack's outputs
 * (`cli/target.ts`): every output they read must exist, with a value.
 */
import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../lib/stack-outputs.js';
import { pipeline } from './pipeline.js';

describe('stack outputs', () => {
  it.each(Object.values(STACK_OUTPUTS))('outputs %s for the command-line tools', (key) => {
    const outputs = pipeline().template.toJSON().Outputs as Record<string, { Value?: unknown }>;
    expect(outputs[key]?.Value).toBeDefined();
  });
});
