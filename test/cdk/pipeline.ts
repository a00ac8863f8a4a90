/**
 * The pipeline template the `cdk` project's global setup synthesized (`test/setup/cdk-pipeline.ts`),
 * as assertions: test files read it instead of synthesizing the stack again.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import type { PipelineVariant } from '../setup/cdk-pipeline.js';
import type { PipelineIds } from './synth.js';

export interface Pipeline {
  template: Template;
  ids: PipelineIds;
  nagFindings: string[];
}

const cache = new Map<PipelineVariant, Pipeline>();

/** The synthesized pipeline of a settings variant (the dev-sized defaults unless told otherwise). */
export function pipeline(variant: PipelineVariant = 'default'): Pipeline {
  let found = cache.get(variant);
  if (!found) {
    const provided = inject('cdkPipelines')[variant];
    found = {
      template: Template.fromJSON(provided.template),
      ids: provided.ids,
      nagFindings: provided.nagFindings,
    };
    cache.set(variant, found);
  }
  return found;
}
