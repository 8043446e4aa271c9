// `ocp logout`: revokes the saved refresh token at the server (RFC 7009,
// which ends the whole grant: its access tokens too) and deletes the saved
// login. If the server cannot be reached the login is kept, so that the
// token can still be revoked later rather than left valid and forgotten.
import type { Command } from 'commander';
import { CloudPrintApi } from '../client/cloudprint-api.ts';
import { credentialsPath, forgetCredentials, loadCredentials, withCredentialsLock } from '../client/credentials.ts';

export function registerLogoutCommand(program: Command): void {
  program
    .command('logout')
    .description('revoke the saved sign-in at the server and delete it from this machine')
    .action(async () => {
      const email = await withCredentialsLock(async () => {
        const saved = loadCredentials();
        if (!saved) return undefined;
        try {
          await new CloudPrintApi({ cloudUrl: saved.cloud, clientId: 'ocp-cli' }).revoke(saved.refreshToken);
        } catch (error) {
          throw new Error(`${(error as Error).message}\nthe saved login (${credentialsPath()}) is kept: run \`ocp logout\` again when the server answers, or delete the file`);
        }
        forgetCredentials();
        return saved.email || saved.cloud;
      });
      console.log(email === undefined ? 'not signed in' : `signed out ${email}`);
    });
}
