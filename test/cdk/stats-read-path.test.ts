/**
 * The read path's rules, on the synthesized template: only the rollup writer writes the rollups and
 * only the stats API reads them; the stats API may search the event indices but never write to
 * OpenSearch; every stats route reaches the stats function.
 */
import { describe, expect, it } from 'vitest';
import { STATS_ROUTES } from '../../lambdas/stats/routes.js';
import { FUNCTIONS, type FunctionId, REST_ROUTES } from '../../lib/topology.js';
import { actionsOn, allActions, roleStatements, type Statement } from './iam.js';
import { pipeline } from './pipeline.js';

const { template, ids } = pipeline();
const statementsOf = (id: FunctionId) => roleStatements(template, ids.functions[id].role);
const rollupsTable = () => ids.tables.rollups;
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'];

describe('rollups: one writer, one reader', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionId[])('%s touches the rollups only as its role allows', (id) => {
    const actions = actionsOn(statementsOf(id), rollupsTable());
    if (id === 'rollup-writer')
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:BatchGetItem', ...WRITES]));
    else if (id === 'stats-api') {
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:BatchGetItem', 'dynamodb:GetItem']));
      expect(actions.filter((action) => WRITES.includes(action))).toEqual([]);
    } else expect(actions).toEqual([]);
  });
});

describe('stats API and OpenSearch', () => {
  it('may search the event indices, open and close points in time, and nothing else that writes', () => {
    const es = statementsOf('stats-api').filter((statement: Statement) =>
      allActions([statement]).some((action) => action.startsWith('es:')),
    );
    const byAction = (action: string) =>
      es
        .filter((statement) => allActions([statement]).includes(action))
        .flatMap((statement) => JSON.stringify(statement.Resource));
    expect(new Set(allActions(es))).toEqual(
      new Set(['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpDelete']),
    );
    expect(byAction('es:ESHttpPost').join(' ')).not.toMatch(/_bulk|_doc|\/\*"/);
    expect(byAction('es:ESHttpPost').join(' ')).toContain('/events-*/_search');
    expect(byAction('es:ESHttpDelete').join(' ')).toContain('/_search/point_in_time');
    expect(allActions(statementsOf('stats-api'))).not.toContain('es:ESHttpPut');
  });

  it('serves every stats route', () => {
    for (const path of Object.values(STATS_ROUTES)) {
      expect(REST_ROUTES).toContainEqual(
        expect.objectContaining({ method: 'GET', path, functionId: 'stats-api' }),
      );
    }
  });
});

describe('event-search cursor key', () => {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }
  >;
  const keyOf = (id: FunctionId) =>
    resources[ids.functions[id].function]?.Properties.Environment?.Variables?.CURSOR_SIGNING_KEY;

  it('reaches the stats API alone, resolved from a generated secret at deployment, never written in the template', () => {
    const secrets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const [secretId] = secrets[0] as [string, unknown];
    expect(resources[secretId]?.Properties).toHaveProperty('GenerateSecretString');
    expect(JSON.stringify(keyOf('stats-api'))).toMatch(
      new RegExp(`\\{\\{resolve:secretsmanager:.*"Ref":"${secretId}"`),
    );
    for (const id of Object.keys(FUNCTIONS) as FunctionId[])
      if (id !== 'stats-api') expect(keyOf(id)).toBeUndefined();
  });
});
