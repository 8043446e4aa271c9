// The cloud print notification channel (`google:push`, GCP
// §c; Privet §4.1.3–4.1.5): a device subscribes to a channel, and every
// PrinterNotification for its account is pushed to each of its subscribed
// sessions as
//   <message from="CHANNEL" to="FULL_JID"><push xmlns="google:push" channel="CHANNEL">
//     <recipient to="BARE_JID"/><data>BASE64(payload)</data></push></message>
// Clients cannot send such messages to each other (see the 'message' handler).
// In a cluster a subscribed session claims its account's routing key on the
// bus (routes.push), so the account's notifications reach this node only
// while it holds such a session.
import { Element } from 'ltx';
import type { Logger } from '../../log.ts';
import { routes, type NotificationBus, type PrinterNotification, type PushDirectory } from '../../events/bus.ts';
import type { XmppModule, XmppServer } from '../../xmpp/server.ts';
import type { XmppSession } from '../../xmpp/session.ts';
import { iqResult } from '../../xmpp/stanza.ts';
import { stanzaErrorReply } from '../../xmpp/stream-error.ts';
import { PUSH_NS } from '../../protocol/namespaces.ts';

export interface PushModuleOptions {
  bus: NotificationBus;
  /** What the cloud knows of an account's printers; without it nothing is replayed on subscribe. */
  directory?: PushDirectory;
  log: Logger;
}

/** Counter in XmppServer.stats.counters. */
export const NOTIFICATIONS_SENT = 'push_notifications_sent';
/** Counter in XmppServer.stats.counters: push-shaped messages from clients, refused. */
export const FORGED_PUSHES_REFUSED = 'push_forged_refused';

/** Channels one session may subscribe to (the original clients use one). */
const MAX_CHANNELS_PER_SESSION = 8;

/** The payload a device decodes from `<data>` (Privet §4.1.3, §4.1.5). */
export function pushPayload(notification: PrinterNotification): string {
  return notification.kind === 'jobs' ? notification.printerId : `${notification.printerId}/${notification.kind}`;
}

/** The push message; `data` is the payload already in base64, encoded once per notification. */
function pushMessage(channel: string, session: XmppSession, data: string): Element {
  const message = new Element('message', { from: channel, to: session.jid });
  const push = message.c('push', { xmlns: PUSH_NS, channel });
  push.c('recipient', { to: session.bareJid });
  push.c('data').t(data);
  return message;
}

export function pushModule(options: PushModuleOptions): XmppModule {
  return (server: XmppServer) => {
    /** JID localpart → subscribed sessions → their channels. */
    const subscribers = new Map<string, Map<XmppSession, string[]>>();
    /** Each subscribed session's claim of its routing key, settled once the bus routes the account's notifications here. */
    const claims = new Map<XmppSession, Promise<void>>();

    const encode = (notification: PrinterNotification) => Buffer.from(pushPayload(notification)).toString('base64');
    const deliver = (session: XmppSession, channels: readonly string[], data: string) => {
      for (const channel of channels) session.send(pushMessage(channel, session, data));
      server.count(NOTIFICATIONS_SENT, channels.length);
    };

    server.handle(`iq-set/${PUSH_NS}:subscribe`, (iq, session) => {
      // The original clients address the subscription to their own bare JID.
      if (iq.attrs.to !== undefined && iq.attrs.to.toLowerCase() !== session.bareJid) return false;
      const channels = iq
        .getChild('subscribe', PUSH_NS)!
        .getChildren('item')
        .map((item) => item.attrs.channel)
        .filter((channel): channel is string => Boolean(channel));
      if (channels.length === 0) {
        session.send(stanzaErrorReply(iq, 'modify', 'bad-request', 'no channel to subscribe to'));
        return true;
      }
      const sessions = subscribers.get(session.local) ?? new Map<XmppSession, string[]>();
      subscribers.set(session.local, sessions);
      const subscribed = [...new Set([...(sessions.get(session) ?? []), ...channels])];
      // Every notification goes out once per channel: a session may not multiply them without bound.
      if (subscribed.length > MAX_CHANNELS_PER_SESSION) {
        session.send(stanzaErrorReply(iq, 'wait', 'resource-constraint', `at most ${MAX_CHANNELS_PER_SESSION} channels per session`));
        return true;
      }
      const first = !sessions.has(session);
      sessions.set(session, subscribed);
      if (first) {
        claims.set(session, options.bus.claim(routes.push(session.local)));
        channelOpened(session);
      }
      // GCP §c: to = full JID, from = bare JID, or the connector rejects it.
      session.send(iqResult(iq).attr('from', session.bareJid) as Element);
      void catchUp(session, channels);
      return true;
    });

    /** JID localpart → when its newest session here subscribed (its push channel opened then). */
    const openedAt = new Map<string, number>();
    const record = (what: string, jidLocal: string, write: (directory: PushDirectory) => Promise<void>) => {
      const directory = options.directory;
      if (!directory) return;
      write(directory).catch((error: Error) => options.log.error({ err: error, jidLocal }, `push: could not record that the channel ${what}`));
    };
    const channelOpened = (session: XmppSession) => {
      const at = Date.now();
      openedAt.set(session.local, at);
      record('opened', session.local, (directory) => directory.channelOpened(session.local, at));
    };
    /** The account's printers are disconnected when its last session here closes (connectionStatus, GCP §a). */
    const channelClosed = (jidLocal: string) => {
      const opened = openedAt.get(jidLocal);
      if (opened === undefined) return;
      openedAt.delete(jidLocal);
      record('closed', jidLocal, (directory) => directory.channelClosed(jidLocal, opened, Date.now()));
    };

    /** A device that was offline misses nothing, and its ping interval is what its settings say. */
    const catchUp = async (session: XmppSession, channels: string[]) => {
      const directory = options.directory;
      if (!directory) return;
      try {
        // The store is read only once the bus routes the account's notifications
        // here: one published later arrives as an event, one published earlier is
        // in the store (NotificationBus.claim).
        await claims.get(session);
        const [missed, interval] = await Promise.all([directory.missedNotifications(session.local), directory.pingIntervalSeconds(session.local)]);
        if (interval !== undefined && interval > 0) session.idleTimeoutMs = interval * 1000;
        for (const notification of missed) deliver(session, channels, encode(notification));
      } catch (error) {
        options.log.error({ err: error, jid: session.jid }, 'push: could not replay missed notifications');
      }
    };

    // Only this module sends notifications. A client's message carrying a push
    // (any namespace: devices read `push/data` by local name) would reach a
    // device as if from its channel, whatever `from` says: refused, never routed.
    server.handle('message', (message, session) => {
      if (!message.getChildElements().some((child) => child.getName() === 'push')) return false;
      if (message.attrs.type !== 'error') session.send(stanzaErrorReply(message, 'auth', 'forbidden', 'only the push service sends push notifications'));
      server.count(FORGED_PUSHES_REFUSED);
      return true;
    });

    const release = (session: XmppSession) => {
      claims.delete(session);
      options.bus.release(routes.push(session.local));
    };
    server.on('session-closed', (session) => {
      const sessions = subscribers.get(session.local);
      if (!sessions?.delete(session)) return;
      release(session);
      if (sessions.size === 0) {
        subscribers.delete(session.local);
        channelClosed(session.local);
      }
    });

    const unsubscribeBus = options.bus.subscribe((event) => {
      if (event.type !== 'printer') return;
      const data = encode(event);
      for (const recipient of event.recipients) {
        const sessions = subscribers.get(recipient.toLowerCase());
        if (!sessions) continue;
        for (const [session, channels] of sessions) deliver(session, channels, data);
      }
    });
    // The bus was down, or Redis restarted and forgot which node holds whom:
    // notifications meant for these sessions may be lost, and what they
    // announced is in the store. Runs once this node's claims are registered
    // again (NotificationBus.onResumed).
    const unsubscribeResumed = options.bus.onResumed(() => {
      for (const sessions of subscribers.values()) for (const [session, channels] of sessions) void catchUp(session, channels);
    });
    server.once('closed', () => {
      unsubscribeBus();
      unsubscribeResumed();
      // A node shutting down ends every session it holds, whether or not their sockets have closed yet:
      // recorded now, before the store closes (queued ahead of its close).
      for (const [jidLocal, sessions] of subscribers) {
        for (const session of sessions.keys()) release(session);
        channelClosed(jidLocal);
      }
      subscribers.clear();
    });
  };
}
