// `npm install` (prepare) and `npm run build:console`: bundles the web console.
import { buildConsoleBundle, CONSOLE_BUNDLE } from '../src/web/console-bundle.ts';

buildConsoleBundle();
console.log(`console bundle: ${CONSOLE_BUNDLE}`);
