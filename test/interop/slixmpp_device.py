#!/usr/bin/python3
"""A device written with slixmpp (Debian python3-slixmpp): STARTTLS or direct
TLS, SASL PLAIN, bind, google:push subscribe, one push, one ping. Prints each
step on stdout for the node test that drives it.

usage: slixmpp_device.py HOST PORT tls|starttls JID PASSWORD CA_PATH
"""
import base64
import logging
import ssl
import sys

from slixmpp import ClientXMPP
from slixmpp.xmlstream import ET
from slixmpp.xmlstream.handler import CoroutineCallback
from slixmpp.xmlstream.matcher import MatchXPath


def say(line):
    print(line, flush=True)


class Device(ClientXMPP):
    def __init__(self, jid, password, ca_path):
        super().__init__(jid, password)
        self.ssl_context = ssl.create_default_context(cafile=ca_path)
        self.register_plugin('xep_0199')  # XMPP ping
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('failed_auth', lambda _: self.fail('auth failed'))
        # slixmpp's own 'message' event only covers messages with a <body>.
        self.register_handler(CoroutineCallback('google:push', MatchXPath('{jabber:client}message/{google:push}push'), self.on_push))

    def fail(self, why):
        say('ERROR ' + why)
        self.disconnect()
        sys.exit(1)

    async def start(self, _event):
        say('ONLINE ' + str(self.boundjid))
        iq = self.make_iq_set(ito=self.boundjid.bare)
        subscribe = ET.Element('{google:push}subscribe')
        ET.SubElement(subscribe, '{google:push}item', channel='cloudprint.google.com', **{'from': 'cloudprint.google.com'})
        iq.append(subscribe)
        result = await iq.send(timeout=10)
        say('SUBSCRIBED %s %s' % (result['to'], result['from']))

    async def on_push(self, message):
        # A queued job left by an earlier test may be replayed on subscribe
        # before the REST push: act on the first push only.
        if getattr(self, 'pushed', False):
            return
        self.pushed = True
        push = message.xml.find('{google:push}push')
        data = push.find('{google:push}data')
        say('PUSH %s %s' % (message['from'], base64.b64decode(data.text).decode()))
        rtt = await self['xep_0199'].ping(jid='cloudprint.google.com', timeout=10)
        say('PONG %s' % ('ok' if rtt is not None else 'none'))
        self.disconnect()


def main():
    host, port, mode, jid, password, ca_path = sys.argv[1:7]
    logging.basicConfig(level=logging.DEBUG if "-v" in sys.argv else logging.ERROR)
    device = Device(jid, password, ca_path)
    device.connect((host, int(port)), use_ssl=(mode == 'tls'), force_starttls=(mode == 'starttls'))
    device.add_event_handler('disconnected', lambda _: device.loop.stop())
    device.loop.run_forever()
    say('DONE')


if __name__ == '__main__':
    main()
