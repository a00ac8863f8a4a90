/**
 * The module esbuild puts in place of `debug` (`BUNDLING.alias` in lib/topology.ts): `debug-log.ts`'s
 * `createDebug` as the whole CommonJS export, since opensearch-js calls what `require('debug')` returns.
 * A `.cts` file because `export =` (a callable `module.exports`) is CommonJS-only in TypeScript.
 */
import { createDebug } from './debug-log.js';

export = createDebug;
