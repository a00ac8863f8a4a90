/**
 * The design's rules for the deployed pipeline, as checks over a synthesized template. Each returns
 * the violations it finds, naming the resource; `test/cdk/design-rules.test.ts` requires none, and
 * `test/cdk/design-rules-mutations.test.ts` proves each one fails when the stack breaks it.
 */
import { ALARM_RULES } from './alarm-rules.js';
import { DATA_RULES } from './data-rules.js';
import { DEPLOY_RULES } from './deploy-rules.js';
import type { DesignRule, Subject } from './facts.js';
import { FUNCTION_RULES } from './function-rules.js';
import { MAPPING_RULES } from './mapping-rules.js';

export type { DesignRule, Subject } from './facts.js';

export const DESIGN_RULES: DesignRule[] = [
  ...MAPPING_RULES,
  ...ALARM_RULES,
  ...DATA_RULES,
  ...FUNCTION_RULES,
  ...DEPLOY_RULES,
];

/** Every rule's violations, by rule id (rules that hold are left out). */
export function violations(subject: Subject): Record<string, string[]> {
  return Object.fromEntries(
    DESIGN_RULES.map((rule) => [rule.id, rule.check(subject)] as const).filter(
      ([, found]) => found.length > 0,
    ),
  );
}
