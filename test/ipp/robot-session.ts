// A printer's device connected to the push channel and nothing else: run as
// `node --import tsx robot-session.ts SERVICE JID ACCESS_TOKEN CA_FILE` (in a
// network namespace by advertise.test.ts); prints "online" once bound, and
// holds the session until it is killed.
import { XmppChannel } from '../../src/client/push-channel.ts';
import { silentLogger } from '../../src/log.ts';

const [service, jid, token, ca] = process.argv.slice(2) as [string, string, string, string];
const channel = new XmppChannel({
  service, jid, ca, resource: 'ipp-test', password: async () => token, pingIntervalSeconds: () => 300, log: silentLogger(),
  onState: (state) => console.log(state),
  onPush: () => {},
});
channel.start();
process.on('SIGTERM', () => void channel.stop().then(() => process.exit(0)));
