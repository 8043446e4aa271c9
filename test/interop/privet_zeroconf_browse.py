#!/usr/bin/python3
# Browses _privet._tcp and its _printer._sub subtype with python3-zeroconf
# (an independent mDNS/DNS-SD implementation) and prints one JSON line per
# event: Added/Updated with SRV, addresses and the TXT strings in wire order,
# Removed when a goodbye (TTL 0) arrives. Usage: ADDRESS SECONDS
import json
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

TYPES = ["_privet._tcp.local.", "_printer._sub._privet._tcp.local."]


def txt_strings(raw):
    items, i = [], 0
    while i < len(raw):
        n = raw[i]
        items.append(raw[i + 1 : i + 1 + n].decode("utf-8"))
        i += 1 + n
    return items


def on_change(zeroconf, service_type, name, state_change):
    event = {"type": service_type, "name": name, "change": state_change.name}
    if state_change is not ServiceStateChange.Removed:
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info:
            event.update(port=info.port, server=info.server, addresses=info.parsed_addresses(IPVersion.V4Only), txt=txt_strings(info.text))
    print(json.dumps(event), flush=True)


zc = Zeroconf(interfaces=[sys.argv[1]], ip_version=IPVersion.V4Only)
browser = ServiceBrowser(zc, TYPES, handlers=[on_change])
try:
    time.sleep(float(sys.argv[2]))
finally:
    zc.close()
