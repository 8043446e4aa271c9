#!/usr/bin/python3
# An app server written from the seed's Python sample (seed 001, "Python
# sample": an echo server that sends an initial message, ACKs every upstream
# message and answers it with a dummy message), ported from xmpppy to slixmpp
# (the Debian package) and changed only in host, port and trusted CA.
# Reports what happens as JSON lines on stdout for the test to read.
#
#   ccs_slixmpp_echo.py HOST PORT SENDER_ID API_KEY REGISTRATION_ID CA_FILE
import sys, json, random, string
import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

SERVER, PORT, USERNAME, PASSWORD, REGISTRATION_ID, CA = sys.argv[1:7]
PORT = int(PORT)

unacked_messages_quota = 1000
send_queue = []


def report(**event):
    print(json.dumps(event), flush=True)


# Return a random alphanumerical id
def random_id():
    rid = ''
    for x in range(8): rid += random.choice(string.ascii_letters + string.digits)
    return rid


class CcsClient(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(USERNAME + '@gcm.googleapis.com', PASSWORD)
        self.ca_certs = CA
        self.add_event_handler('session_start', self.session_start)
        # xmpppy's RegisterHandler('message', …) sees every message; slixmpp's
        # 'message' event only those with a <body>, so match <gcm> directly.
        self.register_handler(Callback('GCM', MatchXPath('{jabber:client}message/{google:mobile:data}gcm'), self.message_callback))
        self.add_event_handler('failed_auth', lambda _: report(event='failed_auth'))

    async def session_start(self, _):
        # What slixmpp FCM senders do after login (CCS §1.2).
        self.send_presence()
        await self.get_roster()
        send_queue.append({'to': REGISTRATION_ID,
                           'message_id': 'reg_id',
                           'data': {'message_destination': 'RegId',
                                    'message_id': random_id()}})
        flush_queued_messages()
        report(event='ready')

    def message_callback(self, message):
        global unacked_messages_quota
        gcm = message.xml.find('{google:mobile:data}gcm')
        if gcm is not None:
            msg = json.loads(gcm.text)
            if 'message_type' not in msg:
                # Acknowledge the incoming message immediately.
                send({'to': msg['from'],
                      'message_type': 'ack',
                      'message_id': msg['message_id']})
                report(event='upstream', message=msg)
                # Queue a response back to the server.
                if 'from' in msg:
                    # Send a dummy echo response back to the app that sent the upstream message.
                    send_queue.append({'to': msg['from'],
                                       'message_id': random_id(),
                                       'data': {'pong': 1}})
            elif msg['message_type'] == 'ack' or msg['message_type'] == 'nack':
                unacked_messages_quota += 1
                report(event=msg['message_type'], message=msg)
            flush_queued_messages()


def send(json_dict):
    template = ("<message><gcm xmlns='google:mobile:data'>{1}</gcm></message>")
    client.send_raw(template.format(client.boundjid, json.dumps(json_dict).replace('&', '&amp;').replace('<', '&lt;')))


def flush_queued_messages():
    global unacked_messages_quota
    while len(send_queue) and unacked_messages_quota > 0:
        send(send_queue.pop(0))
        unacked_messages_quota -= 1


client = CcsClient()
client.connect(address=(SERVER, PORT), use_ssl=True, disable_starttls=True, force_starttls=False)
client.loop.run_forever()
