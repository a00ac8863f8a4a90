/**
 * The one Powertools logger of the process. Service name and level come from Powertools' own
 * variables (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL`), set by the function construct.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'event-ingestion' });

/**
 * The logging surface core modules depend on: the Powertools logger satisfies it, and unit tests
 * pass a silent one.
 */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
