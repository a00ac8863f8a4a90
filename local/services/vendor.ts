/**
 * Where the Java emulators live once fetched, and their versions, read from `local/maven/pom.xml` so
 * the versions are written down in one place.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../lib/topology.js';
import { LOCAL_DIR } from '../local-aws.js';

export const MAVEN_POM = join(REPO_ROOT, 'local/maven/pom.xml');
export const VENDOR_DIR = join(LOCAL_DIR, 'vendor');

function pomProperty(name: string): string {
  const pom = readFileSync(MAVEN_POM, 'utf8');
  const match = pom.match(new RegExp(`<${name}>([^<]+)</${name}>`));
  if (!match?.[1]) throw new Error(`${MAVEN_POM} has no <${name}> property`);
  return match[1].trim();
}

/** Versions of the fetched emulators, as pinned in the pom. */
export const EMULATOR_VERSIONS = {
  opensearch: pomProperty('opensearch.version'),
  dynamodbLocal: pomProperty('dynamodb-local.version'),
  sqlite4java: pomProperty('sqlite4java.version'),
  elasticmq: pomProperty('elasticmq.version'),
};

/** Where each emulator is unpacked or copied by the pom's modules. */
export const VENDOR_PATHS = {
  opensearchHome: join(VENDOR_DIR, 'opensearch', `opensearch-${EMULATOR_VERSIONS.opensearch}`),
  dynamodbLib: join(VENDOR_DIR, 'dynamodb', 'lib'),
  dynamodbJar: join(VENDOR_DIR, 'dynamodb', 'lib', `DynamoDBLocal-${EMULATOR_VERSIONS.dynamodbLocal}.jar`),
  dynamodbNative: join(VENDOR_DIR, 'dynamodb', 'native'),
  sqlite4javaNative: join(VENDOR_DIR, 'dynamodb', 'native', 'libsqlite4java-linux-amd64.so'),
  elasticmqLib: join(VENDOR_DIR, 'elasticmq', 'lib'),
  elasticmqJar: join(
    VENDOR_DIR,
    'elasticmq',
    'lib',
    `elasticmq-server_2.13-${EMULATOR_VERSIONS.elasticmq}.jar`,
  ),
  stamp: join(VENDOR_DIR, 'versions.json'),
};

/** The oldest Java the emulators run on: DynamoDB Local 2.6 is compiled for Java 17 (class file 61). */
export const MIN_JAVA_MAJOR = 17;

/**
 * The newest Java OpenSearch 2.x runs on: it starts with `-Djava.security.manager=allow`, and Java 24
 * removed the security manager ("Enabling a Security Manager is not supported"; JEP 486).
 */
export const MAX_JAVA_MAJOR = 23;

/** Why the JDK at `home` (major version `major`, 0 if unknown) cannot run the emulators, if it cannot. */
export function javaVersionProblem(major: number, home: string): string | undefined {
  if (major >= MIN_JAVA_MAJOR && major <= MAX_JAVA_MAJOR) return undefined;
  const version = major ? `Java ${major}` : 'Java of an unknown version';
  const why =
    major > MAX_JAVA_MAJOR
      ? `OpenSearch ${EMULATOR_VERSIONS.opensearch} needs the security manager, which Java 24 removed`
      : 'DynamoDB Local 2.x is built for Java 17';
  return (
    `the emulators need Java ${MIN_JAVA_MAJOR} to ${MAX_JAVA_MAJOR}, and ${home} is ${version} (${why}). ` +
    `Set JAVA_HOME to a JDK ${MIN_JAVA_MAJOR}–${MAX_JAVA_MAJOR} (e.g. apt-get install openjdk-17-jdk-headless).`
  );
}

let cachedJavaHome: string | undefined;

/**
 * The JDK the emulators run with: JAVA_HOME, else the installation the `java` on the PATH belongs to.
 * Throws naming the prerequisite when there is none.
 */
export function javaHome(): string {
  if (cachedJavaHome) return cachedJavaHome;
  const fromEnv = process.env.JAVA_HOME;
  if (fromEnv && existsSync(join(fromEnv, 'bin', 'java'))) {
    cachedJavaHome = fromEnv;
    return fromEnv;
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, 'java');
    if (dir && existsSync(candidate)) {
      // /usr/bin/java is a chain of symlinks into the JDK; OpenSearch wants the JDK's own folder.
      cachedJavaHome = dirname(dirname(realpathSync(candidate)));
      return cachedJavaHome;
    }
  }
  throw new Error(
    `Java ${MIN_JAVA_MAJOR} to ${MAX_JAVA_MAJOR} is required for OpenSearch, DynamoDB Local and ElasticMQ, and no \`java\` ` +
      'was found (PATH or JAVA_HOME). Install a JDK, e.g. `apt-get install openjdk-17-jre-headless`.',
  );
}

/** The `java` executable of `javaHome()`. */
export function javaBinary(): string {
  return join(javaHome(), 'bin', 'java');
}

/** Major version of `javaBinary()` (17 for "17.0.15"), or 0 when it cannot be told. */
export function javaMajorVersion(): number {
  // `java -version` writes to stderr.
  const { stderr, stdout } = spawnSync(javaBinary(), ['-version'], { encoding: 'utf8' });
  const match = `${stderr}${stdout}`.match(/version "(\d+)(?:\.(\d+))?/);
  if (!match?.[1]) return 0;
  // Java 8 and older report "1.8.0".
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}
