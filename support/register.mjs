// Lets a bare `npx cucumber-js` load the TypeScript support and step files: Cucumber imports this file first
// (see cucumber.mjs) and tsx then handles every `.ts` import. Registering again when NODE_OPTIONS already has
// `--import tsx` (npm scripts) is harmless.
import { register } from 'tsx/esm/api';

register();
