/**
 * A real Powertools logger whose output lines are captured, so a test measures exactly what would reach
 * CloudWatch (the logger serializes every enumerable field of an error it is given).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { vi } from 'vitest';
import type { Log } from '../../lambdas/shared/logger.js';

export interface CapturedLog {
  log: Log;
  /** Every line written, in order. */
  lines: string[];
  restore(): void;
}

export function capturedLogger(): CapturedLog {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const log = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
  return {
    log,
    lines,
    restore: () => {
      stdout.mockRestore();
      stderr.mockRestore();
    },
  };
}
