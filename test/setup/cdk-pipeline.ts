/**
 * Global setup of the `cdk` test project: synthesizes the pipeline stack once per settings variant (the
 * dev-sized defaults and every setting overridden), runs cdk-nag over each once, and provides the
 * results to the test files. Synthesis is the slow part of a CDK test (seconds on a busy core, most of
 * it loading aws-cdk-lib); doing it here, once, instead of in every file's `beforeAll`, keeps the
 * project fast and far inside its timeouts on a loaded machine.
 */
import type { TestProject } from 'vitest/node';
import { OVERRIDDEN_SETTINGS, type SynthesizedPipeline, synthesizePipeline } from '../cdk/synth.js';

/** The settings variants every rule is checked on. */
export type PipelineVariant = 'default' | 'overridden';

declare module 'vitest' {
  export interface ProvidedContext {
    cdkPipelines: Record<PipelineVariant, SynthesizedPipeline>;
  }
}

export default function setup(project: TestProject): void {
  const started = performance.now();
  project.provide('cdkPipelines', {
    default: synthesizePipeline(),
    overridden: synthesizePipeline(OVERRIDDEN_SETTINGS),
  });
  console.log(
    `[cdk] pipeline synthesized and checked in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
