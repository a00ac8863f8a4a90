/**
 * Builds the dashboard page with Vite into a folder: the local stack serves that folder, and `cdk synth`
 * bundles it as the site's asset. The same command line both ways (Vite's own CLI, offline).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's sources: `index.html`, `src/`, `public/`, `vite.config.ts`. */
export const DASHBOARD_DIR = dirname(fileURLToPath(import.meta.url));

const VITE_CLI = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');

function viteArgs(outDir: string): string[] {
  return [VITE_CLI, 'build', DASHBOARD_DIR, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'];
}

/** Builds the page into `outDir`; rejects with Vite's output when the build fails. */
export function buildDashboard(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, viteArgs(outDir), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`the dashboard build failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}

/** The same, blocking: for CDK's local bundling, which is synchronous. */
export function buildDashboardSync(outDir: string): void {
  const result = spawnSync(process.execPath, viteArgs(outDir), { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `the dashboard build failed (exit ${result.status}):\n${`${result.stdout}${result.stderr}`.slice(-4000)}`,
    );
  }
}
