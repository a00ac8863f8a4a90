/**
 * The unit project's guard (test/setup/unit-no-io.ts) stops every way a test could reach beyond the
 * code under test: processes, TCP, HTTP (node:http, fetch, the AWS SDK), servers, UDP and DNS.
 */
import * as childProcess from 'node:child_process';
import { execSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { UnitIsolationError } from '../setup/unit-no-io.js';

const SOCKETS =
  /^unit tests may not open sockets: move this test to test\/emulator or test\/stack \(tried to /;
const PROCESSES = /^unit tests may not start processes: move this test to test\/emulator or test\/stack/;

describe('a unit test cannot', () => {
  it('start a process, however child_process is imported', () => {
    expect(() => spawn('node', ['--version'])).toThrow(PROCESSES);
    expect(() => execSync('true')).toThrow(PROCESSES);
    expect(() => childProcess.fork('./x.js')).toThrow(PROCESSES);
  });

  it('open a TCP connection', () => {
    expect(() => net.connect(59999, '127.0.0.1')).toThrow(SOCKETS);
    expect(() => net.connect(59999, '127.0.0.1')).toThrow(/connect to 127\.0\.0\.1:59999/);
  });

  it('send an HTTP request with node:http or fetch', async () => {
    expect(() => http.get('http://127.0.0.1:59999/')).toThrow(SOCKETS);
    const failed = await fetch('http://127.0.0.1:59999/').catch((error: Error) => error);
    expect((failed as Error & { cause?: unknown }).cause).toBeInstanceOf(UnitIsolationError);
  });

  it('send an AWS SDK request that no mock answers', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:59999',
      credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
      maxAttempts: 1,
    });
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow(SOCKETS);
  });

  it('listen on a port', () => {
    expect(() => http.createServer().listen(0)).toThrow(SOCKETS);
    expect(() => net.createServer().listen(0)).toThrow(SOCKETS);
  });

  it('use UDP or resolve a name', async () => {
    expect(() => dgram.createSocket('udp4').bind(0)).toThrow(SOCKETS);
    expect(() => dns.lookup('example.com', () => undefined)).toThrow(SOCKETS);
    await expect(async () => dns.promises.resolve4('example.com')).rejects.toThrow(SOCKETS);
  });
});
