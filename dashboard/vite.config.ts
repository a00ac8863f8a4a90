/**
 * The dashboard page's build: plain TypeScript and CSS, uPlot bundled in, relative asset URLs (the page
 * may be served below a path), no source maps in the shipped page. Run by the local stack and by
 * `cdk synth` (`dashboard/build.ts`), never a dev server: offline, a few seconds.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  logLevel: 'warn',
  build: {
    target: 'es2022',
    sourcemap: false,
    emptyOutDir: true,
    reportCompressedSize: false,
  },
});
