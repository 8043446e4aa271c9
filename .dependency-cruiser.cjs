// The import rules of issue 15 ("the hallways"), checked by
// test/architecture/imports.test.ts and by hand with `npm run imports`.
// Type-only imports count: `import type` from another room is still a
// dependency on its vocabulary. A folder here is a folder with everything
// under it, so src/cloud/index.ts may import src/cloud/routes/ and the routes
// may import src/cloud/service.ts; src/cloud and src/server may not import
// each other, not even through a third folder.
/** Folders that run on a device or a client machine. */
const DEVICE_SIDE = '^src/(privet|connector|client|cups)/';
/** Folders that only the server runs. */
const SERVER_SIDE = '^src/(cloud|ccs|server|store|auth|web|ipp)/';
/** The CCS SDKs package.json exports to app servers and devices (src/ccs/sdk/ after issue 15 item 4). */
const CCS_SDK = '^src/ccs/sdk/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      comment: 'A file must not reach itself through its imports.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      comment: 'A folder under src/ must not reach itself through another folder.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'device-imports-server',
      comment: 'Devices share the wire vocabulary in src/protocol/, never the server\'s code.',
      severity: 'error',
      from: { path: DEVICE_SIDE },
      to: { path: SERVER_SIDE },
    },
    {
      name: 'sdk-imports-server',
      comment: 'The CCS SDKs run in other people\'s processes: protocol/ and the XMPP client, never the CCS service.',
      severity: 'error',
      from: { path: CCS_SDK },
      to: { path: SERVER_SIDE, pathNot: CCS_SDK },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
