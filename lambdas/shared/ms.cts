/**
 * The module esbuild puts in place of `ms` (`BUNDLING.alias` in lib/topology.ts): duration.ts's `ms`
 * as the whole CommonJS export, since opensearch-js calls what `require('ms')` returns. A `.cts` file
 * because `export =` (a callable `module.exports`) is CommonJS-only in TypeScript.
 */
import { ms } from './duration.js';

export = ms;
