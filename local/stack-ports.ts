/**
 * The local stack's ports: the defaults of `npm start`, free random ones (tests, a second stack), and
 * the check that every fixed one is free before anything starts.
 */
import { assertPortFree, freePort } from './services/ports.js';

export interface LocalPorts {
  rest: number;
  websocket: number;
  opensearch: number;
  dynamodb: number;
  kinesis: number;
  sqs: number;
  /** The control API (`control-server.ts`); 0 lets the OS pick (the URL is in the endpoints file). */
  control: number;
  /** The dashboard page (`dashboard-server.ts`). */
  dashboard: number;
}

/** Ports of `npm start`; tests use free random ports so they can run beside it. */
export const DEFAULT_PORTS: LocalPorts = {
  rest: 3000,
  websocket: 3001,
  opensearch: 9200,
  dynamodb: 8000,
  kinesis: 4567,
  sqs: 9324,
  control: 0,
  dashboard: 3002,
};

export async function resolvePorts(
  ports: Partial<LocalPorts> | 'random' | undefined,
  host: string,
): Promise<LocalPorts> {
  if (ports === 'random') {
    const names = Object.keys(DEFAULT_PORTS) as (keyof LocalPorts)[];
    const entries = await Promise.all(names.map(async (name) => [name, await freePort()] as const));
    return Object.fromEntries(entries) as unknown as LocalPorts;
  }
  const chosen = { ...DEFAULT_PORTS, ...ports };
  // Every fixed port is checked before anything starts: the gateways and the dashboard bind last, so
  // a dev server on 3000 used to cost a full start-up (OpenSearch included) before a bare EADDRINUSE.
  for (const [name, port] of Object.entries(chosen)) {
    if (port !== 0) await assertPortFree(PORT_LABELS[name as keyof LocalPorts], port, host);
  }
  return chosen;
}

const PORT_LABELS: Record<keyof LocalPorts, string> = {
  rest: 'the REST gateway',
  websocket: 'the WebSocket gateway',
  opensearch: 'OpenSearch',
  dynamodb: 'DynamoDB Local',
  kinesis: 'kinesalite',
  sqs: 'ElasticMQ',
  control: 'the control API',
  dashboard: 'the dashboard page',
};
