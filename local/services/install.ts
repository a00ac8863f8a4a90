/**
 * `npm run setup:emulators`: fetches OpenSearch, DynamoDB Local and ElasticMQ from Maven Central into
 * `.local/vendor/` with `mvn` (local/maven/pom.xml). Idempotent: when the stamp matches the versions in
 * the pom and the files are there, it returns at once. `npm start` and the test setup call it too.
 *
 * Why Maven: the three emulators are published on Maven Central with their dependency trees, and Maven
 * resolves, verifies (checksums) and caches them in ~/.m2, so a second checkout installs offline.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCAL_DIR } from '../local-aws.js';
import {
  EMULATOR_VERSIONS,
  javaHome,
  javaMajorVersion,
  javaVersionProblem,
  MAVEN_POM,
  VENDOR_DIR,
  VENDOR_PATHS,
} from './vendor.js';

/** Where the Maven output of the last install goes. */
export const INSTALL_LOG = join(LOCAL_DIR, 'logs', 'setup-emulators.log');

/** The files each emulator cannot start without; checked before and after fetching. */
function requiredFiles(): string[] {
  return [
    join(VENDOR_PATHS.opensearchHome, 'bin', 'opensearch'),
    join(VENDOR_PATHS.opensearchHome, 'lib', `opensearch-${EMULATOR_VERSIONS.opensearch}.jar`),
    VENDOR_PATHS.dynamodbJar,
    join(VENDOR_PATHS.dynamodbLib, `sqlite4java-${EMULATOR_VERSIONS.sqlite4java}.jar`),
    VENDOR_PATHS.sqlite4javaNative,
    VENDOR_PATHS.elasticmqJar,
  ];
}

/** True when the stamp records the pom's versions and every required file exists. */
export function emulatorsInstalled(): boolean {
  if (!existsSync(VENDOR_PATHS.stamp)) return false;
  try {
    const stamp = JSON.parse(readFileSync(VENDOR_PATHS.stamp, 'utf8')) as { versions?: unknown };
    if (JSON.stringify(stamp.versions) !== JSON.stringify(EMULATOR_VERSIONS)) return false;
  } catch {
    return false;
  }
  return requiredFiles().every((file) => existsSync(file));
}

/**
 * Checked on every start, not only when fetching: the JDK may change after the emulators are in place,
 * and a Java 24+ used to surface only as "opensearch did not start: exited early" quoting a JVM flags dump.
 */
function checkJava(): void {
  const problem = javaVersionProblem(javaMajorVersion(), javaHome());
  if (problem) throw new Error(problem);
}

function checkMaven(): void {
  const mvn = spawnSync('mvn', ['--version'], { stdio: 'ignore' });
  if (mvn.error || mvn.status !== 0) {
    throw new Error(
      'Apache Maven 3 (`mvn`) is required to fetch the emulators from Maven Central and was not found on the ' +
        'PATH. Install it (e.g. `apt-get install maven`, or https://maven.apache.org/download.cgi).',
    );
  }
}

/** Which emulator a Maven module fetches, for progress lines. */
const MODULE_LABELS: Record<string, string> = {
  'local-emulators-opensearch': `OpenSearch ${EMULATOR_VERSIONS.opensearch} (integ-test zip)`,
  'local-emulators-dynamodb-local': `DynamoDB Local ${EMULATOR_VERSIONS.dynamodbLocal} + sqlite4java native`,
  'local-emulators-elasticmq': `ElasticMQ ${EMULATOR_VERSIONS.elasticmq}`,
};

/**
 * Makes sure the emulators are in `.local/vendor/`, fetching them with Maven when they are not.
 * Progress goes to `progress` (default: console); Maven's full output to `.local/logs/setup-emulators.log`.
 */
export async function ensureEmulatorsInstalled(
  options: { progress?: (line: string) => void; force?: boolean } = {},
): Promise<void> {
  const progress = options.progress ?? ((line: string) => console.log(line));
  checkJava();
  if (!options.force && emulatorsInstalled()) return;
  checkMaven();
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  progress(
    `Fetching emulators from Maven Central into ${VENDOR_DIR} (first time: about 150 MB, cached in ~/.m2 afterwards)`,
  );
  // A half-finished earlier run may have left stale or partial files behind.
  await rm(VENDOR_PATHS.stamp, { force: true });
  // The unpack goal skips an artifact its marker says it unpacked, even if the folder was deleted since.
  await rm(join(VENDOR_DIR, '.markers'), { recursive: true, force: true });
  await mkdir(VENDOR_DIR, { recursive: true });
  await mkdir(dirname(INSTALL_LOG), { recursive: true });
  const log = createWriteStream(INSTALL_LOG);

  let downloads = 0;
  const ticker = setInterval(
    () => progress(`  … still fetching (${elapsed()}, ${downloads} files downloaded)`),
    10_000,
  );
  try {
    // Not -q: Maven's "Building …" and "Downloaded from …" lines are the progress shown here.
    const args = [
      '-B',
      '-Dstyle.color=never',
      '-f',
      MAVEN_POM,
      'generate-resources',
      `-Dvendor.dir=${VENDOR_DIR}`,
    ];
    log.write(`$ mvn ${args.join(' ')}\n`);
    const code = await new Promise<number | null>((resolve, reject) => {
      const mvn = spawn('mvn', args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, JAVA_HOME: javaHome() },
      });
      let pending = '';
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const module = line.match(/^\[INFO\] -+< local\.event-ingestion:([\w-]+) >-+/);
          if (module?.[1] && MODULE_LABELS[module[1]])
            progress(`  ${MODULE_LABELS[module[1]]} (${elapsed()})`);
          if (/^\[INFO\] Downloaded from /.test(line)) downloads += 1;
        }
      };
      mvn.stdout.on('data', onData);
      mvn.stderr.on('data', onData);
      mvn.once('error', reject);
      mvn.once('close', resolve);
    });
    if (code !== 0) {
      const tail = readFileSync(INSTALL_LOG, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(
        `mvn could not fetch the emulators (exit ${code}); full output in ${INSTALL_LOG}. Maven Central must be ` +
          `reachable (directly or through a mirror in ~/.m2/settings.xml).\n${tail}`,
      );
    }
  } finally {
    clearInterval(ticker);
    await new Promise((resolve) => log.end(resolve));
  }
  const missing = requiredFiles().filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`mvn finished, but these files are missing: ${missing.join(', ')} (see ${INSTALL_LOG})`);
  }
  await writeFile(
    VENDOR_PATHS.stamp,
    `${JSON.stringify({ versions: EMULATOR_VERSIONS, installedAt: new Date().toISOString() }, null, 2)}\n`,
  );
  progress(`  ✓ emulators fetched in ${elapsed()} (${downloads} files downloaded)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  ensureEmulatorsInstalled({ force: process.argv.includes('--force') })
    .then(() => console.log(`Emulators are installed in ${VENDOR_DIR} (${Date.now() - started} ms).`))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}
