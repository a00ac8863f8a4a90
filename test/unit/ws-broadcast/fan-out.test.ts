import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CONNECTING_SECONDS, type ConnectionItem } from '../../../lambdas/ws-broadcast/connections.js';
import { type DeliveryDeps, deliver, planDeliveries } from '../../../lambdas/ws-broadcast/fan-out.js';
import { silentLog, storedEvent } from '../../helpers/factories.js';

const management = mockClient(ApiGatewayManagementApiClient);
const NOW_SECONDS = 1_768_473_000;

function connection(connectionId: string, filter: Partial<ConnectionItem> = {}): ConnectionItem {
  return {
    connectionId,
    accountId: 'acct-1',
    connectedAt: '2026-01-15T10:00:00.000Z',
    expiresAt: NOW_SECONDS + 3600,
    ...filter,
  };
}

function deliveryDeps(
  overrides: Partial<DeliveryDeps['settings']> = {},
  forgotten: string[] = [],
): DeliveryDeps {
  return {
    management: new ApiGatewayManagementApiClient({ region: 'eu-west-1', endpoint: 'http://ws' }),
    log: silentLog,
    forget: async (connectionId, accountId) => {
      forgotten.push(`${accountId}/${connectionId}`);
    },
    settings: { concurrency: 4, postTimeoutMs: 200, ...overrides },
  };
}

const never = () => new Promise<never>(() => undefined);

describe('planDeliveries', () => {
  it('serializes each event once and builds frames once per distinct subscription', () => {
    // Prepare
    const events = [storedEvent({ type: 'login', user_id: 'ann' }), storedEvent({ type: 'page_view' })];
    const connections = [
      connection('a'),
      connection('b'),
      connection('c', { types: ['login'] }),
      connection('d', { users: ['bob'] }),
      connection('old', { expiresAt: NOW_SECONDS }),
    ];

    // Act
    const { deliveries } = planDeliveries(connections, events, NOW_SECONDS);

    // Assess: unfiltered connections share one frame list; nobody gets an empty delivery.
    expect(deliveries.map((delivery) => delivery.connectionId)).toEqual(['a', 'b', 'c']);
    expect(deliveries[0]?.frames).toBe(deliveries[1]?.frames);
    expect(JSON.parse(deliveries[2]?.frames[0] as string).events).toHaveLength(1);
  });
});

describe('deliver', () => {
  beforeEach(() => {
    management.reset();
  });

  it('never lets a connection that does not answer delay the others beyond one post timeout', async () => {
    // Prepare: two connections hang for ever, twenty answer at once; two lanes only.
    const hanging = new Set(['slow-1', 'slow-2']);
    const started = performance.now();
    const healthyPostedAt: number[] = [];
    management.on(PostToConnectionCommand).callsFake((input) => {
      if (hanging.has(input.ConnectionId)) return never();
      healthyPostedAt.push(performance.now() - started);
      return {};
    });
    const deliveries = [
      ...[...hanging].map((connectionId) => ({
        connectionId,
        accountId: 'acct-1',
        connecting: false,
        frames: ['{"n":1}', '{"n":2}'],
      })),
      ...Array.from({ length: 20 }, (_, index) => ({
        connectionId: `ok-${index}`,
        accountId: 'acct-1',
        connecting: false,
        frames: ['{"n":1}'],
      })),
    ];

    // Act
    const counts = await deliver(deliveries, deliveryDeps({ concurrency: 3, postTimeoutMs: 300 }));

    // Assess: every healthy connection got its frame while the slow ones were still hanging; the slow
    // ones were given up after their first frame.
    expect(counts).toEqual({ frames: 20, gone: 0, postFailures: 0, timedOut: 2, skipped: 0 });
    expect(Math.max(...healthyPostedAt)).toBeLessThan(300);
    expect(performance.now() - started).toBeLessThan(1500);
    const posted = management
      .commandCalls(PostToConnectionCommand)
      .map((call) => call.args[0].input.ConnectionId);
    expect(posted.filter((id) => id?.startsWith('slow'))).toHaveLength(2);
  });

  it('keeps at most `concurrency` posts in flight', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    management.on(PostToConnectionCommand).callsFake(async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return {};
    });
    const deliveries = Array.from({ length: 30 }, (_, index) => ({
      connectionId: `c${index}`,
      accountId: 'acct-1',
      connecting: false,
      frames: ['{}'],
    }));

    // Act
    const counts = await deliver(deliveries, deliveryDeps({ concurrency: 4 }));

    // Assess
    expect(counts.frames).toBe(30);
    expect(peak).toBe(4);
  });

  it('never forgets a connection that answers 410 while its $connect may still be running', async () => {
    // Prepare: connected (its item written) a second ago, and not open yet at the gateway
    const forgotten: string[] = [];
    management
      .on(PostToConnectionCommand)
      .rejects(new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } }));
    const young = connection('young', { connectedAt: new Date((NOW_SECONDS - 1) * 1000).toISOString() });
    const old = connection('old', {
      connectedAt: new Date((NOW_SECONDS - CONNECTING_SECONDS - 1) * 1000).toISOString(),
    });
    const { deliveries } = planDeliveries([young, old], [storedEvent()], NOW_SECONDS);

    // Act
    const counts = await deliver(deliveries, deliveryDeps({}, forgotten));

    // Assess
    expect(forgotten).toEqual(['acct-1/old']);
    expect(counts.gone).toBe(2);
  });

  it('forgets a connection that answers 410 and stops posting to it, in order for the others', async () => {
    // Prepare
    const forgotten: string[] = [];
    management
      .on(PostToConnectionCommand, { ConnectionId: 'gone' })
      .rejects(new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } }))
      .on(PostToConnectionCommand, { ConnectionId: 'here' })
      .resolves({});

    // Act
    const counts = await deliver(
      [
        { connectionId: 'gone', accountId: 'acct-1', connecting: false, frames: ['{"n":1}', '{"n":2}'] },
        { connectionId: 'here', accountId: 'acct-2', connecting: false, frames: ['{"n":1}', '{"n":2}'] },
      ],
      deliveryDeps({}, forgotten),
    );

    // Assess
    expect(forgotten).toEqual(['acct-1/gone']);
    expect(counts).toEqual({ frames: 2, gone: 1, postFailures: 0, timedOut: 0, skipped: 0 });
    const toHere = management
      .commandCalls(PostToConnectionCommand, { ConnectionId: 'here' })
      .map((call) => Buffer.from(call.args[0].input.Data as Uint8Array).toString());
    expect(toHere).toEqual(['{"n":1}', '{"n":2}']);
  });
});
